"""POST /api/v1/projects/{name}/roles: an Owner adds a collaborator.

The gateway resolves the username through identity and carries the request; the uploads
service decides (Owners only, under the project's policies).
"""

from __future__ import annotations

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.uploads.v1 import uploads_pb2
from gateway.auth import request_context, session_caller
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS
from gateway.routes.api_project_policies import login_facts

routes = web.RouteTableDef()


@routes.post("/api/v1/projects/{name}/roles")
async def add_role(request: web.Request) -> web.Response:
    """Adds `username` as `role` (Owner or Maintainer); answers 201 with the new role."""
    caller = await session_caller(request)
    body = await read_json(request)
    clients = request.app[CLIENTS]
    found = await clients.identity.GetUser(
        identity_pb2.GetUserRequest(username=require_string(body, "username", 100)), timeout=10
    )
    answer = await clients.uploads.AddRole(
        uploads_pb2.AddRoleRequest(
            principal=caller.principal, project=request.match_info["name"], user_id=found.user.user_id,
            username=found.user.username, role=require_string(body, "role", 32), login=login_facts(caller),
            context=request_context(request),
        ),
        timeout=10,
    )
    return web.json_response({"project": answer.project, "username": answer.username, "role": answer.role},
                             status=201)
