"""The project pages: "your projects" (with roles and pending invitations) and one project's
releases and files, collaborators, invitations and policies.

Like the JSON API, the pages only carry the caller's choices to the uploads service, which
decides; a refusal is shown on the page in the service's words, next to what it concerns.
"""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from aiohttp import web

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.uploads.v1 import uploads_pb2
from gateway.keys import CLIENTS
from gateway.pages import render
from gateway.reauthentication import page_url
from gateway.routes.api_project_policies import get_policies, set_policies
from gateway.routes.api_project_roles import list_collaborators, my_projects
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
# Refusals a page shows in the service's words (anything else is the error page's business).
REFUSALS = (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION)
STATUS_OF_REFUSAL = {grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.NOT_FOUND: 404,
                     grpc.StatusCode.ALREADY_EXISTS: 409}


# Fixed sentences chosen by a query code (a link cannot make the page say anything else).
PROJECTS_NOTICES = {"left": "You left the project.", "declined": "You declined the invitation."}


def refusal_status(refusal: grpc.aio.AioRpcError) -> int:
    """The HTTP status a page answers a refusal with."""
    return STATUS_OF_REFUSAL.get(refusal.code(), 400)


def when(time_us: int) -> str:
    """A time as the pages show it (UTC, to the minute)."""
    return datetime.fromtimestamp(time_us / 1_000_000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC") if time_us else ""


def size_text(size: int) -> str:
    """A file size in words a reader takes in at a glance."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _policy_rows(answer) -> list[dict]:
    if answer is None:
        return []
    return [{"name": p.name, "enabled": p.enabled, "text": POLICY_TEXT.get(p.name, p.name)} for p in answer.policies]


def _releases(project: uploads_pb2.GetProjectResponse) -> list[dict]:
    files: dict[str, list[dict]] = {}
    for file in project.files:
        files.setdefault(file.version, []).append({
            "filename": file.filename, "packagetype": file.packagetype, "size": size_text(file.size),
            "uploaded": when(file.upload_time_us), "sha256": file.sha256, "blake2_256": file.blake2_256,
            "yanked": file.yanked})
    return [{"version": version, "files": files.get(version, [])} for version in reversed(project.versions)]


async def _refused_quietly(call, *codes):
    # A caller who may not see a part of the page (policies, collaborators) sees the rest.
    try:
        return await call
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() not in codes:
            raise
        return None


def _collaborator_rows(people) -> tuple[list, list, str]:
    if people is None:
        return [], [], ""
    invitations = [{"id": i.invitation_id, "username": i.username, "role": i.role, "status": i.status,
                    "invited_by": i.invited_by_username, "expires": when(i.expires_at_us)} for i in people.invitations]
    return list(people.collaborators), invitations, people.role


async def project_page(request: web.Request, caller, name: str, status: int = 200, policies=None, **messages):
    """The project page for `caller` (None: a visitor); `messages` are the notices and the
    errors to show next to the form (or row) they concern."""
    project = await request.app[CLIENTS].uploads.GetProject(uploads_pb2.GetProjectRequest(name=name), timeout=10)
    people = None
    if caller is not None:
        people = await _refused_quietly(list_collaborators(request, caller, name), grpc.StatusCode.PERMISSION_DENIED)
        if policies is None and people is not None:
            policies = await _refused_quietly(get_policies(request, caller, name), grpc.StatusCode.PERMISSION_DENIED)
    collaborators, invitations, role = _collaborator_rows(people)
    messages.setdefault("row_errors", {})
    return render(
        request, "project.html", status=status, project=project.project.name, releases=_releases(project),
        role=role, collaborators=collaborators, invitations=invitations, policies=_policy_rows(policies),
        roles=("Owner", "Maintainer"), **messages, **_frame(caller),
        **await release_sections(request, caller, name, project),
    )


@routes.get("/projects/")
async def projects_page(request: web.Request) -> web.Response:
    """The caller's projects with their role, and the invitations waiting for their answer."""
    caller = await _optional_caller(request)
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    answer = await my_projects(request, caller)
    invitations = [{"id": i.invitation_id, "project": i.project, "role": i.role, "invited_by": i.invited_by_username,
                    "expires": when(i.expires_at_us), "status": i.status} for i in answer.invitations]
    return render(request, "projects.html", projects=list(answer.projects), invitations=invitations,
                  notice=PROJECTS_NOTICES.get(request.query.get("done", ""), ""), **_frame(caller))


@routes.get("/projects/{name}/")
async def show_project(request: web.Request) -> web.Response:
    """The project; its collaborators also see collaborators and policies (Owners manage them)."""
    notice = {"invited": "Invitation sent.", "accepted": "Welcome: you are now a collaborator."}.get(
        request.query.get("done", ""), "")
    return await project_page(request, await _optional_caller(request), request.match_info["name"], notice=notice)


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
        return await project_page(request, caller, name, status=refusal_status(refusal),
                                  policy_error=refusal.details() or "The change was refused.")
    return await project_page(request, caller, name, policies=answer, policy_notice="Policies saved.")
