"""Staged releases and yanking over the JSON API:

- `GET /api/v1/projects/{name}/stages`: the staged releases, every file with its hashes;
- `GET /api/v1/projects/{name}/stages/files/{filename}`: a staged file's bytes, for checking;
- `POST /api/v1/projects/{name}/releases/{version}/publish`, `DELETE .../releases/{version}/stage`;
- `POST /api/v1/projects/{name}/releases/{version}/yank` `{"reason"}` and `.../unyank`.

The gateway only carries the request: the uploads service decides who may act (collaborators,
a session with a fresh second-factor login for publishing, a token whose caveats allow `yank`).
"""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.uploads.v1 import uploads_pb2
from gateway.auth import bearer_token, readable_token, request_context, session_caller
from gateway.errors import BadRequest
from gateway.json_body import read_json
from gateway.keys import CLIENTS
from gateway.routes.api_project_policies import login_facts
from gateway.timestamps import format_rfc3339

routes = web.RouteTableDef()
MAX_REASON_CHARS = 500


def staged_file_json(project: str, distribution: uploads_pb2.DistributionFile) -> dict:
    """One staged file as the API shows it: name, size, hashes and where to download it."""
    return {
        "filename": distribution.filename,
        "packagetype": distribution.packagetype,
        "size": distribution.size,
        "upload-time": format_rfc3339(distribution.upload_time_us),
        "requires-python": distribution.requires_python or None,
        "hashes": {"sha256": distribution.sha256, "blake2b_256": distribution.blake2_256, "md5": distribution.md5},
        "url": f"/api/v1/projects/{project}/stages/files/{distribution.filename}",
    }


async def list_stages(request: web.Request, caller, project: str) -> uploads_pb2.ListStagesResponse:
    """Asks the uploads service for the project's stages (it checks the caller's role)."""
    return await request.app[CLIENTS].uploads.ListStages(
        uploads_pb2.ListStagesRequest(principal=caller.principal, project=project), timeout=10
    )


def stages_json(answer: uploads_pb2.ListStagesResponse) -> dict:
    """ListStages' answer as the API's JSON."""
    name = answer.project.normalized_name
    return {
        "project": answer.project.name, "role": answer.role,
        "stages": [{"version": stage.version, "files": [staged_file_json(name, f) for f in stage.files]}
                   for stage in answer.stages],
    }


@routes.get("/api/v1/projects/{name}/stages")
async def stages(request: web.Request) -> web.Response:
    """The project's staged releases (Owners and Maintainers)."""
    caller = await session_caller(request)
    return web.json_response(stages_json(await list_stages(request, caller, request.match_info["name"])))


@routes.get("/api/v1/projects/{name}/stages/files/{filename}")
async def staged_file(request: web.Request) -> web.StreamResponse:
    """A staged file's bytes (Owners and Maintainers), to check it before publishing."""
    caller = await session_caller(request)
    call = request.app[CLIENTS].uploads.ReadStagedFile(
        uploads_pb2.ReadStagedFileRequest(principal=caller.principal, project=request.match_info["name"],
                                          filename=request.match_info["filename"]),
        timeout=600,
    )
    first = await call.read()  # surfaces a refusal before any header is sent
    response = web.StreamResponse(headers={"Cache-Control": "private, no-store"})
    response.content_type = "application/octet-stream"
    await response.prepare(request)
    message = first
    while message is not grpc.aio.EOF:
        await response.write(message.chunk)
        message = await call.read()
    await response.write_eof()
    return response


async def release_action(request: web.Request, rpc: str, reason: str = "", allow_token: bool = False):
    """Calls one of the uploads service's release RPCs (`PublishStage`, `DiscardStage`,
    `YankRelease`, `UnyankRelease`) for the request's project and version, as the session's user
    or, where `allow_token`, as the presented API token."""
    request_type = getattr(uploads_pb2, f"{rpc}Request")
    message = request_type(project=request.match_info["name"], version=request.match_info["version"],
                           context=request_context(request), reason=reason)
    if allow_token and bearer_token(request):
        message.token = readable_token(bearer_token(request))
    else:
        caller = await session_caller(request)
        message.principal.CopyFrom(caller.principal)
        message.login.CopyFrom(login_facts(caller))
    return await getattr(request.app[CLIENTS].uploads, rpc)(message, timeout=10)


def action_json(answer) -> dict:
    """A release action's answer as the API's JSON."""
    return {"project": answer.project, "version": answer.version, "outcome": answer.outcome,
            "filenames": list(answer.filenames)}


@routes.post("/api/v1/projects/{name}/releases/{version}/publish")
async def publish(request: web.Request) -> web.Response:
    """Publishes the version's whole stage (a fresh login with a second factor)."""
    return web.json_response(action_json(await release_action(request, "PublishStage")))


@routes.delete("/api/v1/projects/{name}/releases/{version}/stage")
async def discard(request: web.Request) -> web.Response:
    """Discards the version's stage; its filenames can never be used again."""
    return web.json_response(action_json(await release_action(request, "DiscardStage")))


async def _reason(request: web.Request) -> str:
    reason = (await read_json(request)).get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise BadRequest(f"The reason must be text of at most {MAX_REASON_CHARS} characters.")
    return reason


@routes.post("/api/v1/projects/{name}/releases/{version}/yank")
async def yank(request: web.Request) -> web.Response:
    """Yanks the release (PEP 592), by session or by a token allowed to `yank`."""
    reason = await _reason(request)
    return web.json_response(action_json(await release_action(request, "YankRelease", reason, allow_token=True)))


@routes.post("/api/v1/projects/{name}/releases/{version}/unyank")
async def unyank(request: web.Request) -> web.Response:
    """Un-yanks the release, by session or by a token allowed to `yank`."""
    return web.json_response(action_json(await release_action(request, "UnyankRelease", allow_token=True)))
