"""Collaborators through the JSON API: list, invite, answer an invitation, change, remove.

The gateway resolves usernames through identity and carries each request; the uploads service
decides (Owners manage, under the project's policies; invitees answer their own invitations;
the last Owner stays). The functions below are shared with the project pages.
"""

from __future__ import annotations

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.uploads.v1 import uploads_pb2
from gateway.auth import Caller, request_context, session_caller
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS
from gateway.routes.api_project_policies import login_facts

routes = web.RouteTableDef()
TIMEOUT = 10


def invitation_json(invitation: uploads_pb2.Invitation) -> dict:
    """An invitation as the API's JSON (times in microseconds since the epoch)."""
    return {"id": invitation.invitation_id, "project": invitation.project, "username": invitation.username,
            "role": invitation.role, "invited_by": invitation.invited_by_username,
            "created_at_us": invitation.created_at_us, "expires_at_us": invitation.expires_at_us,
            "status": invitation.status}


def collaborators_json(answer: uploads_pb2.ListCollaboratorsResponse) -> dict:
    """ListCollaborators' answer as the API's JSON."""
    return {"project": answer.project.name, "role": answer.role,
            "collaborators": [{"username": c.username, "role": c.role} for c in answer.collaborators],
            "invitations": [invitation_json(i) for i in answer.invitations]}


async def list_collaborators(request: web.Request, caller: Caller, project: str):
    """The uploads service's ListCollaborators for the caller."""
    return await request.app[CLIENTS].uploads.ListCollaborators(
        uploads_pb2.ListCollaboratorsRequest(principal=caller.principal, project=project), timeout=TIMEOUT)


async def invite(request: web.Request, caller: Caller, project: str, username: str, role: str):
    """Resolves `username` through identity (NOT_FOUND for nobody) and asks uploads to invite them."""
    clients = request.app[CLIENTS]
    found = await clients.identity.GetUser(identity_pb2.GetUserRequest(username=username), timeout=TIMEOUT)
    answer = await clients.uploads.InviteCollaborator(uploads_pb2.InviteCollaboratorRequest(
        principal=caller.principal, project=project, user_id=found.user.user_id, username=found.user.username,
        role=role, login=login_facts(caller), context=request_context(request)), timeout=TIMEOUT)
    return answer.invitation


async def revoke(request: web.Request, caller: Caller, project: str, invitation_id: str):
    """Asks uploads to revoke a pending invitation."""
    answer = await request.app[CLIENTS].uploads.RevokeInvitation(uploads_pb2.RevokeInvitationRequest(
        principal=caller.principal, project=project, invitation_id=invitation_id, login=login_facts(caller),
        context=request_context(request)), timeout=TIMEOUT)
    return answer.invitation


async def respond(request: web.Request, caller: Caller, invitation_id: str, accept: bool):
    """Accepts or declines the caller's invitation."""
    uploads, context = request.app[CLIENTS].uploads, request_context(request)
    if accept:
        answer = await uploads.AcceptInvitation(uploads_pb2.AcceptInvitationRequest(
            principal=caller.principal, invitation_id=invitation_id, context=context), timeout=TIMEOUT)
    else:
        answer = await uploads.DeclineInvitation(uploads_pb2.DeclineInvitationRequest(
            principal=caller.principal, invitation_id=invitation_id, context=context), timeout=TIMEOUT)
    return answer.invitation


async def change_role(request: web.Request, caller: Caller, project: str, username: str, role: str):
    """Asks uploads to change `username`'s role."""
    answer = await request.app[CLIENTS].uploads.ChangeRole(uploads_pb2.ChangeRoleRequest(
        principal=caller.principal, project=project, username=username, role=role, login=login_facts(caller),
        context=request_context(request)), timeout=TIMEOUT)
    return answer.collaborator


async def remove_role(request: web.Request, caller: Caller, project: str, username: str):
    """Asks uploads to remove `username`'s role (or the caller's own)."""
    answer = await request.app[CLIENTS].uploads.RemoveRole(uploads_pb2.RemoveRoleRequest(
        principal=caller.principal, project=project, username=username, login=login_facts(caller),
        context=request_context(request)), timeout=TIMEOUT)
    return answer.collaborator


async def my_projects(request: web.Request, caller: Caller):
    """The caller's projects with their role, and their pending invitations."""
    return await request.app[CLIENTS].uploads.ListMyProjects(
        uploads_pb2.ListMyProjectsRequest(principal=caller.principal), timeout=TIMEOUT)


def _collaborator_json(answer: uploads_pb2.Collaborator) -> dict:
    return {"project": answer.project, "username": answer.username, "role": answer.role}


@routes.post("/api/v1/projects/{name}/roles")
async def add_role(request: web.Request) -> web.Response:
    """Adds `username` as `role` at once (kept for existing clients; invitations are the way the
    site adds collaborators); answers 201 with the new role."""
    caller = await session_caller(request)
    body = await read_json(request)
    clients = request.app[CLIENTS]
    found = await clients.identity.GetUser(
        identity_pb2.GetUserRequest(username=require_string(body, "username", 100)), timeout=TIMEOUT
    )
    answer = await clients.uploads.AddRole(
        uploads_pb2.AddRoleRequest(
            principal=caller.principal, project=request.match_info["name"], user_id=found.user.user_id,
            username=found.user.username, role=require_string(body, "role", 32), login=login_facts(caller),
            context=request_context(request),
        ),
        timeout=TIMEOUT,
    )
    return web.json_response({"project": answer.project, "username": answer.username, "role": answer.role},
                             status=201)


@routes.get("/api/v1/projects/{name}/roles")
async def read_roles(request: web.Request) -> web.Response:
    """The project's collaborators (and, for Owners, pending invitations)."""
    caller = await session_caller(request)
    return web.json_response(collaborators_json(await list_collaborators(request, caller, request.match_info["name"])))


@routes.post("/api/v1/projects/{name}/invitations")
async def create_invitation(request: web.Request) -> web.Response:
    """Invites `username` as `role`; answers 201 with the invitation."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await invite(request, caller, request.match_info["name"], require_string(body, "username", 100),
                          require_string(body, "role", 32))
    return web.json_response(invitation_json(answer), status=201)


@routes.delete("/api/v1/projects/{name}/invitations/{id}")
async def revoke_invitation(request: web.Request) -> web.Response:
    """Revokes a pending invitation (Owners)."""
    caller = await session_caller(request)
    answer = await revoke(request, caller, request.match_info["name"], request.match_info["id"][:64])
    return web.json_response(invitation_json(answer))


@routes.get("/api/v1/invitations")
async def read_invitations(request: web.Request) -> web.Response:
    """The caller's pending invitations."""
    caller = await session_caller(request)
    answer = await my_projects(request, caller)
    return web.json_response({"invitations": [invitation_json(i) for i in answer.invitations]})


@routes.post("/api/v1/invitations/{id}/accept")
async def accept_invitation(request: web.Request) -> web.Response:
    """The invitee accepts: answers the invitation with status "accepted"."""
    caller = await session_caller(request)
    return web.json_response(invitation_json(await respond(request, caller, request.match_info["id"][:64], True)))


@routes.post("/api/v1/invitations/{id}/decline")
async def decline_invitation(request: web.Request) -> web.Response:
    """The invitee declines: answers the invitation with status "declined"."""
    caller = await session_caller(request)
    return web.json_response(invitation_json(await respond(request, caller, request.match_info["id"][:64], False)))


@routes.put("/api/v1/projects/{name}/roles/{username}")
async def update_role(request: web.Request) -> web.Response:
    """Changes a collaborator's role (Owners; not the last Owner's)."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await change_role(request, caller, request.match_info["name"], request.match_info["username"][:100],
                               require_string(body, "role", 32))
    return web.json_response(_collaborator_json(answer))


@routes.delete("/api/v1/projects/{name}/roles/{username}")
async def delete_role(request: web.Request) -> web.Response:
    """Removes a collaborator (Owners), or the caller's own role; never the last Owner."""
    caller = await session_caller(request)
    answer = await remove_role(request, caller, request.match_info["name"], request.match_info["username"][:100])
    return web.json_response(_collaborator_json(answer))


@routes.get("/api/v1/projects")
async def read_my_projects(request: web.Request) -> web.Response:
    """The caller's projects with their role."""
    caller = await session_caller(request)
    answer = await my_projects(request, caller)
    return web.json_response({"projects": [{"project": p.project, "role": p.role} for p in answer.projects]})
