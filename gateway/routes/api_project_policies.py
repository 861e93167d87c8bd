"""/api/v1/projects/{name}/policies: read and set a project's policies.

The gateway only translates: the uploads service decides who may read or change them (Owners
change, collaborators read), whether a weakening comes from a fresh enough login and whether the
caller's login meets the project's policies. It is told the login's facts as identity answered them.
"""

from __future__ import annotations

from aiohttp import web

from gatehouse.uploads.v1 import uploads_pb2
from gateway.auth import Caller, request_context, session_caller
from gateway.errors import BadRequest
from gateway.json_body import read_json
from gateway.keys import CLIENTS
from gateway.reauthentication import authenticated_at_us

routes = web.RouteTableDef()
MAX_POLICIES = 20


def policies_json(answer) -> dict:
    """The service's answer (Get- or SetProjectPolicy's, laid out alike) as the API's JSON."""
    return {
        "project": answer.project.name,
        "role": answer.role,
        "policies": {policy.name: policy.enabled for policy in answer.policies},
    }


def login_facts(caller: Caller) -> uploads_pb2.LoginFacts:
    """The session's login as identity answered it: when, and with which second factor."""
    session = caller.session
    return uploads_pb2.LoginFacts(
        logged_in_at_us=authenticated_at_us(session),
        second_factor_verified=session.second_factor_verified,
        second_factor_method=session.second_factor_method,
    )


async def get_policies(request: web.Request, caller: Caller, project: str) -> uploads_pb2.GetProjectPoliciesResponse:
    """Asks the uploads service for the project's policies (it checks the caller's role)."""
    return await request.app[CLIENTS].uploads.GetProjectPolicies(
        uploads_pb2.GetProjectPoliciesRequest(principal=caller.principal, project=project), timeout=10
    )


async def set_policies(
    request: web.Request, caller: Caller, project: str, changes: dict[str, bool]
) -> uploads_pb2.SetProjectPolicyResponse:
    """Asks the uploads service to set `changes` (it decides whether the caller may)."""
    return await request.app[CLIENTS].uploads.SetProjectPolicy(
        uploads_pb2.SetProjectPolicyRequest(
            principal=caller.principal, project=project, login=login_facts(caller),
            policies=[uploads_pb2.ProjectPolicy(name=name, enabled=on) for name, on in changes.items()],
            context=request_context(request),
        ),
        timeout=10,
    )


def _changes(body: dict) -> dict[str, bool]:
    if not body or len(body) > MAX_POLICIES:
        raise BadRequest("Send at least one policy, e.g. {\"require_2fa\": true}.")
    for name, value in body.items():
        if not isinstance(value, bool):
            raise BadRequest(f"The policy '{name[:64]}' must be true or false.")
    return body


@routes.get("/api/v1/projects/{name}/policies")
async def read(request: web.Request) -> web.Response:
    """The project's policies (for its collaborators)."""
    caller = await session_caller(request)
    return web.json_response(policies_json(await get_policies(request, caller, request.match_info["name"])))


@routes.put("/api/v1/projects/{name}/policies")
async def update(request: web.Request) -> web.Response:
    """Turns the named policies on or off (Owners; turning one off needs a recent login)."""
    caller = await session_caller(request)
    changes = _changes(await read_json(request))
    answer = await set_policies(request, caller, request.match_info["name"], changes)
    return web.json_response(policies_json(answer))
