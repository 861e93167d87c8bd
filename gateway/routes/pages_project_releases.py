"""The project page's staged releases and yank forms (template `_staged_releases.html`).

As everywhere, the page only carries the maintainer's choice to the uploads service, which
decides. A refusal for want of a fresh login sends the browser to the re-authentication page
and back; any other refusal is shown in the service's words on the error page.
"""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.uploads.v1 import uploads_pb2
from gateway.auth import request_context
from gateway.keys import CLIENTS
from gateway.reauthentication import page_url
from gateway.routes.api_project_policies import login_facts
from gateway.routes.api_project_releases import list_stages, staged_file_json
from gateway.routes.pages import _form_caller

routes = web.RouteTableDef()
ACTIONS = {"publish": "PublishStage", "discard": "DiscardStage", "yank": "YankRelease", "unyank": "UnyankRelease"}


def _release_rows(project: uploads_pb2.GetProjectResponse) -> list[dict]:
    yanked = {f.version: f.yanked_reason for f in project.files if f.yanked}
    return [{"version": version, "yanked": version in yanked, "reason": yanked.get(version, "")}
            for version in reversed(project.versions)]


async def release_sections(request: web.Request, caller, name: str, project: uploads_pb2.GetProjectResponse) -> dict:
    """The values `_staged_releases.html` shows: the releases with their yanked state, and for
    the project's collaborators its staged releases (files with hashes) and the action forms."""
    values = {"release_rows": _release_rows(project), "stages": [], "can_manage_releases": False}
    if caller is None:
        return values
    try:
        answer = await list_stages(request, caller, name)
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() != grpc.StatusCode.PERMISSION_DENIED:
            raise
        return values
    normalized = answer.project.normalized_name
    values["stages"] = [{"version": stage.version, "files": [staged_file_json(normalized, f) for f in stage.files]}
                        for stage in answer.stages]
    values["can_manage_releases"] = True
    return values


@routes.post("/projects/{name}/releases/{version}/{action}")
async def release_form(request: web.Request) -> web.Response:
    """Publish or discard a stage, yank or un-yank a release; back to the project page after."""
    rpc = ACTIONS.get(request.match_info["action"])
    if rpc is None:
        raise web.HTTPNotFound()
    caller, form = await _form_caller(request)
    name = request.match_info["name"]
    message = getattr(uploads_pb2, f"{rpc}Request")(
        principal=caller.principal, project=name, version=request.match_info["version"],
        login=login_facts(caller), context=request_context(request), reason=str(form.get("reason", ""))[:500],
    )
    try:
        await getattr(request.app[CLIENTS].uploads, rpc)(message, timeout=10)
    except grpc.aio.AioRpcError as refusal:
        if dict(refusal.trailing_metadata() or ()).get(ERROR_CODE_KEY) == "reauthentication_required":
            raise web.HTTPSeeOther(page_url(request, f"/projects/{name}/")) from refusal
        raise
    raise web.HTTPSeeOther(f"/projects/{name}/")
