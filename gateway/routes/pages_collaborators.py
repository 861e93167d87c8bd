"""The collaborator forms of the project page, and the page where an invitee answers an
invitation (the link mailed to them). Each form is carried to the uploads service, which decides.
"""

from __future__ import annotations

from urllib.parse import quote

import grpc
from aiohttp import web

from gateway.pages import render
from gateway.routes.api_project_roles import change_role, invite, my_projects, remove_role, respond, revoke
from gateway.routes.pages import _form_caller, _frame, _optional_caller
from gateway.routes.pages_projects import REFUSALS, project_page, refusal_status, when

routes = web.RouteTableDef()


def _project_url(name: str, done: str = "") -> str:
    return f"/projects/{quote(name)}/" + (f"?done={done}" if done else "")


@routes.post("/projects/{name}/invitations")
async def invite_form(request: web.Request) -> web.Response:
    """Invites the username typed in as the chosen role; a refusal is shown next to the username."""
    caller, form = await _form_caller(request)
    name = request.match_info["name"]
    username = str(form.get("username", "")).strip()[:100]
    if not username:
        return await project_page(request, caller, name, status=400, invite_username=username,
                                  invite_error="Type the username of the person to invite.")
    try:
        await invite(request, caller, name, username, str(form.get("role", ""))[:32])
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() not in REFUSALS:
            raise
        return await project_page(request, caller, name, status=refusal_status(refusal), invite_username=username,
                                  invite_error=refusal.details() or "The invitation was refused.")
    raise web.HTTPSeeOther(_project_url(name, "invited"))


@routes.post("/projects/{name}/invitations/{id}/revoke")
async def revoke_form(request: web.Request) -> web.Response:
    """Revokes a pending invitation."""
    caller, _ = await _form_caller(request)
    name = request.match_info["name"]
    try:
        await revoke(request, caller, name, request.match_info["id"][:64])
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() not in REFUSALS:
            raise
        return await project_page(request, caller, name, status=refusal_status(refusal),
                                  invitations_error=refusal.details() or "The invitation could not be revoked.")
    raise web.HTTPSeeOther(_project_url(name))


async def _row_action(request: web.Request, action) -> web.Response:
    caller, form = await _form_caller(request)
    name, username = request.match_info["name"], request.match_info["username"][:100]
    try:
        await action(caller, form, name, username)
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() not in REFUSALS:
            raise
        return await project_page(request, caller, name, status=refusal_status(refusal),
                                  row_errors={username: refusal.details() or "The change was refused."})
    if username.casefold() == caller.principal.username.casefold() and form.get("leaving"):
        raise web.HTTPSeeOther("/projects/?done=left")
    raise web.HTTPSeeOther(_project_url(name))


@routes.post("/projects/{name}/roles/{username}")
async def change_role_form(request: web.Request) -> web.Response:
    """Changes a collaborator's role to the one chosen in its row."""
    async def action(caller, form, name, username):
        await change_role(request, caller, name, username, str(form.get("role", ""))[:32])
    return await _row_action(request, action)


@routes.post("/projects/{name}/roles/{username}/remove")
async def remove_role_form(request: web.Request) -> web.Response:
    """Removes a collaborator (or the caller leaves the project)."""
    async def action(caller, form, name, username):
        await remove_role(request, caller, name, username)
    return await _row_action(request, action)


async def _my_invitation(request: web.Request, caller, invitation_id: str):
    answer = await my_projects(request, caller)
    return next((i for i in answer.invitations if i.invitation_id == invitation_id), None)


@routes.get("/invitations/{id}")
async def invitation_page(request: web.Request) -> web.Response:
    """The mailed link: the invitee (logged in as themselves) accepts or declines here."""
    caller = await _optional_caller(request)
    if caller is None:
        return render(request, "invitation.html", status=401, invitation=None, logged_out=True)
    found = await _my_invitation(request, caller, request.match_info["id"][:64])
    shown = None if found is None else {"id": found.invitation_id, "project": found.project, "role": found.role,
                                        "invited_by": found.invited_by_username, "status": found.status,
                                        "expires": when(found.expires_at_us)}
    return render(request, "invitation.html", status=200 if shown else 404, invitation=shown, **_frame(caller))


async def _answer(request: web.Request, accept: bool) -> web.Response:
    caller, _ = await _form_caller(request)
    try:
        answer = await respond(request, caller, request.match_info["id"][:64], accept)
    except grpc.aio.AioRpcError as refusal:
        if refusal.code() not in REFUSALS:
            raise
        return render(request, "invitation.html", status=refusal_status(refusal), invitation=None,
                      error=refusal.details() or "The invitation could not be answered.", **_frame(caller))
    if accept:
        raise web.HTTPSeeOther(_project_url(answer.project, "accepted"))
    raise web.HTTPSeeOther("/projects/?done=declined")


@routes.post("/invitations/{id}/accept")
async def accept_form(request: web.Request) -> web.Response:
    """Accepts the invitation and goes to the project."""
    return await _answer(request, True)


@routes.post("/invitations/{id}/decline")
async def decline_form(request: web.Request) -> web.Response:
    """Declines the invitation and goes back to the caller's projects."""
    return await _answer(request, False)
