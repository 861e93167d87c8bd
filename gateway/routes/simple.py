"""The Simple API pip installs from: PEP 503 HTML and PEP 691 JSON, PEP 658/714 metadata, PEP 592
yanking, PEP 700 sizes, upload times and versions. Only published files are listed (the uploads
service leaves staged ones out of GetProject and refuses them to ReadFile)."""

from __future__ import annotations

import html

import grpc
from aiohttp import web
from packaging.utils import canonicalize_name

from gatehouse.uploads.v1 import uploads_pb2
from gateway.keys import CLIENTS
from gateway.timestamps import format_rfc3339

routes = web.RouteTableDef()

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
# PEP 691's aliases for "the latest version this server speaks" (v1 here).
JSON_TYPES = frozenset({JSON_TYPE, "application/vnd.pypi.simple.latest+json"})
HTML_TYPES = frozenset({HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html", "*/*"})
API_VERSION = "1.1"


def _wants_json(request: web.Request) -> bool:
    # PEP 691: pick the best of what the client accepts; HTML when it does not say.
    best_json, best_html = 0.0, 0.0
    for item in request.headers.get("Accept", "text/html").split(","):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if media.strip() in JSON_TYPES:
            best_json = max(best_json, quality)
        elif media.strip() in HTML_TYPES:
            best_html = max(best_html, quality)
    return best_json > best_html


def _html_page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


@routes.get("/simple/")
async def index(request: web.Request) -> web.Response:
    """Every project."""
    answer = await request.app[CLIENTS].uploads.ListProjects(uploads_pb2.ListProjectsRequest(), timeout=10)
    projects = sorted(answer.projects, key=lambda project: project.normalized_name)
    if _wants_json(request):
        document = {
            "meta": {"api-version": API_VERSION},
            "projects": [{"name": project.name} for project in projects],
        }
        return _negotiated(web.json_response(document, content_type=JSON_TYPE))
    links = "".join(
        f'<a href="/simple/{html.escape(p.normalized_name)}/">{html.escape(p.name)}</a>\n' for p in projects
    )
    return _negotiated(web.Response(text=_html_page("Simple index", links), content_type="text/html"))


def _negotiated(response: web.Response) -> web.Response:
    # The answer depends on Accept (PEP 691): caches must keep the forms apart.
    response.headers["Vary"] = "Accept"
    return response


def _file_json(distribution: uploads_pb2.DistributionFile) -> dict:
    metadata = {"sha256": distribution.metadata_sha256} if distribution.metadata_sha256 else False
    return {
        "filename": distribution.filename,
        "url": f"/files/{distribution.path}",
        "hashes": {"sha256": distribution.sha256},
        "requires-python": distribution.requires_python or None,
        "core-metadata": metadata,
        "dist-info-metadata": metadata,
        "yanked": (distribution.yanked_reason or True) if distribution.yanked else False,
        "size": distribution.size,
        "upload-time": format_rfc3339(distribution.upload_time_us),
    }


def _file_link(distribution: uploads_pb2.DistributionFile) -> str:
    attributes = [f'href="/files/{html.escape(distribution.path)}#sha256={distribution.sha256}"']
    if distribution.requires_python:
        attributes.append(f'data-requires-python="{html.escape(distribution.requires_python)}"')
    if distribution.metadata_sha256:
        value = f"sha256={distribution.metadata_sha256}"
        attributes += [f'data-core-metadata="{value}"', f'data-dist-info-metadata="{value}"']
    if distribution.yanked:
        attributes.append(f'data-yanked="{html.escape(distribution.yanked_reason)}"')
    return f"<a {' '.join(attributes)}>{html.escape(distribution.filename)}</a><br>\n"


@routes.get("/simple/{project}/")
async def project_page(request: web.Request) -> web.Response:
    """One project's files; a non-normalized name redirects to the normalized URL (PEP 503)."""
    name = request.match_info["project"]
    normalized = canonicalize_name(name)
    if name != normalized:
        raise web.HTTPMovedPermanently(f"/simple/{normalized}/")
    answer = await request.app[CLIENTS].uploads.GetProject(uploads_pb2.GetProjectRequest(name=name), timeout=10)
    if _wants_json(request):
        document = {
            "meta": {"api-version": API_VERSION},
            "name": answer.project.normalized_name,
            "files": [_file_json(distribution) for distribution in answer.files],
            "versions": list(answer.versions),
        }
        return _negotiated(web.json_response(document, content_type=JSON_TYPE))
    links = "".join(_file_link(distribution) for distribution in answer.files)
    title = f"Links for {answer.project.name}"
    page = _html_page(title, f"<h1>{html.escape(title)}</h1>\n{links}")
    return _negotiated(web.Response(text=page, content_type="text/html"))


@routes.get("/files/{path:.+}")
async def download(request: web.Request) -> web.StreamResponse:
    """A stored file (or its PEP 658 metadata), streamed from the uploads service."""
    path = request.match_info["path"]
    call = request.app[CLIENTS].uploads.ReadFile(uploads_pb2.ReadFileRequest(path=path), timeout=600)
    first = await call.read()  # surfaces NOT_FOUND before any header is sent
    response = web.StreamResponse()
    response.content_type = "text/plain" if path.endswith(".metadata") else "application/octet-stream"
    await response.prepare(request)
    message = first
    while message is not grpc.aio.EOF:
        await response.write(message.chunk)
        message = await call.read()
    await response.write_eof()
    return response
