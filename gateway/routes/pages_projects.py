"""The project page: releases, a link to the security history, and the policies form.

Like the JSON API, the page only carries the caller's choices to the uploads service, which
decides; a refusal is shown on the page in the service's words.
"""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.uploads.v1 import uploads_pb2
from gateway.keys import CLIENTS
from gateway.pages import render
from gateway.reauthentication import page_url
from gateway.routes.api_project_policies import get_policies, set_policies
from gateway.routes.pages import _form_caller, _frame, _optional_caller
from gateway.routes.pages_project_releases import release_sections

routes = web.RouteTableDef()

POLICY_TEXT = {
    "require_2fa": "Collaborators must use two-factor authentication",
    "require_phishing_resistant_2fa": (
        "Collaborators must use a phishing-resistant second factor (security key): logins with an "
        "authenticator app or a recovery code cannot manage the project, and API token uploads need "
        "the token's owner to have a security key"
    ),
    "require_scoped_tokens": "Uploads only with API tokens scoped to this project (user-wide tokens are refused)",
    "require_staged_releases": (
        "Require staged releases: every upload waits in a stage until a maintainer publishes it"
    ),
}
REFUSALS = (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT)


def _policy_rows(answer) -> list[dict]:
    if answer is None:
        return []
    return [{"name": p.name, "enabled": p.enabled, "text": POLICY_TEXT.get(p.name, p.name)} for p in answer.policies]


async def _page(request: web.Request, caller, name: str, policies=None, error: str = "", notice: str = ""):
    project = await request.app[CLIENTS].uploads.GetProject(uploads_pb2.GetProjectRequest(name=name), timeout=10)
    if policies is None and caller is not None:
        try:
            policies = await get_policies(request, caller, name)
        except grpc.aio.AioRpcError as refusal:
            if refusal.code() != grpc.StatusCode.PERMISSION_DENIED:
                raise
    return render(
        request, "project.html", status=403 if error else 200, project=project.project.name,
        versions=list(reversed(project.versions)), role=policies.role if policies else "",
        policies=_policy_rows(policies), error=error, notice=notice, **_frame(caller),
        **await release_sections(request, caller, name, project),
    )


@routes.get("/projects/{name}/")
async def project_page(request: web.Request) -> web.Response:
    """The project; its collaborators also see its policies (Owners can change them)."""
    return await _page(request, await _optional_caller(request), request.match_info["name"])


@routes.post("/projects/{name}/policies")
async def change_policies(request: web.Request) -> web.Response:
    """The policies form: every policy shown on the form is set to whether its box is ticked."""
    caller, form = await _form_caller(request)
    name = request.match_info["name"]
    changes = {str(policy)[:64]: form.get(str(policy)) == "on" for policy in form.getall("shown", [])[:20]}
    try:
        answer = await set_policies(request, caller, name, changes)
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() not in REFUSALS:
            raise
        if dict(refusal.trailing_metadata() or ()).get(ERROR_CODE_KEY) == "reauthentication_required":
            raise web.HTTPSeeOther(page_url(request, f"/projects/{name}")) from refusal
        return await _page(request, caller, name, error=refusal.details() or "The change was refused.")
    return await _page(request, caller, name, policies=answer, notice="Policies saved.")
