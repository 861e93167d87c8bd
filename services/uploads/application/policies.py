"""Use cases of project policies: read them (collaborators) and change them (Owners)."""

from __future__ import annotations

import structlog

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.application.handlers import Dependencies
from services.uploads.domain import model, policies
from services.uploads.domain.errors import NotACollaborator, ProjectNotFound
from services.uploads.domain.names import normalize

log = structlog.get_logger(__name__)
MINUTE_US = 60 * 1_000_000


async def project_state(unit, name: str) -> model.ProjectState:
    """The project's folded state. Raises ProjectNotFound."""
    row = await repository.find_project(unit.connection, normalize(name))
    if row is None:
        raise ProjectNotFound(f"The project '{name}' does not exist.")
    return model.fold(await unit.load(model.stream_of(row.project_id)))


def _answer(state: model.ProjectState, role: str, response=uploads_pb2.GetProjectPoliciesResponse):
    return response(
        project=uploads_pb2.ProjectSummary(project_id=state.project_id, name=state.name,
                                           normalized_name=state.normalized_name),
        policies=[uploads_pb2.ProjectPolicy(name=name, enabled=on) for name, on in policies.policy_states(state)],
        role=role,
    )


async def get_project_policies(
    deps: Dependencies, request: uploads_pb2.GetProjectPoliciesRequest
) -> uploads_pb2.GetProjectPoliciesResponse:
    """The project's policies, for its Owners and Maintainers (and operators).
    Raises ProjectNotFound or NotACollaborator."""
    async with deps.units() as unit:
        state = await project_state(unit, request.project)
    role = state.roles.get(request.principal.user_id, "")
    if not (request.principal.operator or role in model.UPLOAD_ROLES):
        raise NotACollaborator(f"Only the collaborators of project '{state.name}' can see its policies.")
    return _answer(state, role)


async def manager_of(deps: Dependencies, request) -> policies.Manager:
    """The caller of a management request (its principal and login facts) with their second
    factors. Raises TokensUnavailable when the mfa service cannot say."""
    principal, login = request.principal, request.login
    methods = await deps.second_factors.methods_of(principal.user_id) if deps.second_factors else frozenset()
    return policies.Manager(
        user_id=principal.user_id, username=principal.username, factor_methods=methods,
        login_method=login.second_factor_method if login.second_factor_verified else "",
        logged_in_at_us=login.logged_in_at_us,
    )


async def set_project_policy(
    deps: Dependencies, request: uploads_pb2.SetProjectPolicyRequest
) -> uploads_pb2.SetProjectPolicyResponse:
    """Turns the requested policies on or off together, recording one ProjectPolicyChanged each.
    Raises ProjectNotFound, UnknownPolicy, NotAnOwner, ReauthenticationRequired,
    ProjectRequiresSecondFactor, ProjectRequiresPhishingResistantFactor or TokensUnavailable."""
    changes = {policy.name: policy.enabled for policy in request.policies}
    policies.check_known(changes)
    manager = await manager_of(deps, request)
    command = policies.SetPolicies(changes, now_us(), deps.reauth_minutes * MINUTE_US)

    async def handle(unit):
        state = await project_state(unit, request.project)
        new_events = policies.decide(state, manager, command)
        if new_events:
            subjects = envelope_pb2.Subjects(user_id=manager.user_id, username=manager.username,
                                             project=state.normalized_name, project_id=state.project_id)
            await unit.record(model.stream_of(state.project_id), state.version, new_events,
                              actor_from(request.context, request.principal), subjects)
            log.info("uploads.policies_changed", project=state.normalized_name,
                     changes={event.policy: event.enabled for event in new_events})
        return _answer(model.evolve(state, new_events), state.roles[manager.user_id],
                       uploads_pb2.SetProjectPolicyResponse)

    return await deps.units.run(handle)
