"""Project policies: what an Owner may turn on, who may change them, and whom they refuse. Pure.

All are off by default. `decide` turns a SetPolicies command into ProjectPolicyChanged events;
the `check_*` functions are the named steps the upload pipeline and management actions run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain.errors import (
    NotAnOwner,
    ProjectRequiresPhishingResistantFactor,
    ProjectRequiresSecondFactor,
    ReauthenticationRequired,
    ScopedTokenRequired,
    UnknownPolicy,
)
from services.uploads.domain.model import OWNER, REQUIRE_STAGED_RELEASES, ProjectState, Uploader
from services.uploads.domain.names import normalize

REQUIRE_2FA = "require_2fa"
REQUIRE_PHISHING_RESISTANT_2FA = "require_phishing_resistant_2fa"
REQUIRE_SCOPED_TOKENS = "require_scoped_tokens"
# REQUIRE_STAGED_RELEASES (every upload goes to a stage) is read by the model's goes_to_stage.
POLICIES = (REQUIRE_2FA, REQUIRE_PHISHING_RESISTANT_2FA, REQUIRE_SCOPED_TOKENS, REQUIRE_STAGED_RELEASES)

# What mfa's ListMethods names; recovery codes alone are a fallback, not a second factor.
SECOND_FACTOR_METHODS = frozenset({"totp", "webauthn"})
SECURITY_KEY_METHOD = "webauthn"
# Second steps (identity's Session.second_factor_method) bound to the site's origin.
PHISHING_RESISTANT_LOGINS = frozenset({"webauthn", "passkey"})
# The policies that need the user's second factors to be looked up.
FACTOR_POLICIES = frozenset({REQUIRE_2FA, REQUIRE_PHISHING_RESISTANT_2FA})


@dataclass(frozen=True)
class Manager:
    """Who asks for a management action, with the facts the policies look at."""

    user_id: str
    username: str
    factor_methods: frozenset[str]  # enrolled, as the mfa service lists them
    login_method: str  # how this session's second step was passed ("" for none)
    logged_in_at_us: int


@dataclass(frozen=True)
class SetPolicies:
    """Command: turn policies on or off. `fresh_window_us`: how recent a login must be to weaken."""

    changes: Mapping[str, bool]
    now_us: int
    fresh_window_us: int


def check_known(changes: Mapping[str, bool]) -> None:
    """Raises UnknownPolicy for a name not in POLICIES."""
    unknown = sorted(set(changes) - set(POLICIES))
    if unknown:
        raise UnknownPolicy(f"Unknown project policy '{unknown[0][:64]}'; known policies: {', '.join(POLICIES)}.")


def check_owner(state: ProjectState, manager: Manager, action: str = "change its policies") -> None:
    """Raises NotAnOwner unless the manager is an Owner of the project."""
    role = state.roles.get(manager.user_id)
    if role != OWNER:
        held = f"is a {role}" if role else "has no role on it"
        raise NotAnOwner(
            f"Only an Owner of project '{state.name}' can {action}; user '{manager.username}' {held}."
        )


def check_fresh_login(command: SetPolicies, manager: Manager) -> None:
    """Raises ReauthenticationRequired when the login is older than the command's window."""
    if command.now_us - manager.logged_in_at_us > command.fresh_window_us:
        minutes = command.fresh_window_us // 60_000_000
        raise ReauthenticationRequired(
            "Turning a project policy off needs a recent login: confirm your password at "
            f"/account/reauthenticate (or POST /api/v1/session/reauthenticate) within the last {minutes} "
            "minutes, then retry."
        )


def check_manager(state: ProjectState, policies: frozenset[str], manager: Manager) -> None:
    """The step every management action runs: the manager must meet `policies` (the project's).
    Raises ProjectRequiresSecondFactor or ProjectRequiresPhishingResistantFactor."""
    if REQUIRE_2FA in policies and not SECOND_FACTOR_METHODS & manager.factor_methods:
        raise ProjectRequiresSecondFactor(
            f"Project '{state.name}' requires its collaborators to use two-factor authentication: "
            f"user '{manager.username}' has no second factor; add one to your account first."
        )
    if REQUIRE_PHISHING_RESISTANT_2FA in policies and manager.login_method not in PHISHING_RESISTANT_LOGINS:
        used = manager.login_method.replace("_", " ") or "no second factor"
        raise ProjectRequiresPhishingResistantFactor(
            f"Project '{state.name}' requires a phishing-resistant second factor: this login used {used}; "
            "log in again with a security key to manage the project."
        )


def decide(state: ProjectState, manager: Manager, command: SetPolicies) -> list:
    """The ProjectPolicyChanged events of `command` (none for values already set).

    The manager must be an Owner and meet the policies both as they are and as they will be (an
    Owner cannot turn on a policy that would refuse them); weakening needs a fresh login.
    Raises UnknownPolicy, NotAnOwner, ReauthenticationRequired, ProjectRequiresSecondFactor or
    ProjectRequiresPhishingResistantFactor.
    """
    check_known(command.changes)
    check_owner(state, manager)
    changed = {name: on for name, on in command.changes.items() if on != (name in state.policies)}
    if any(not on for on in changed.values()):
        check_fresh_login(command, manager)
    turned_on = frozenset(name for name, on in changed.items() if on)
    check_manager(state, state.policies | turned_on, manager)
    return [_changed(state, name, on) for name, on in sorted(changed.items(), key=lambda item: POLICIES.index(item[0]))]


def _changed(state: ProjectState, policy: str, enabled: bool):
    return events.ProjectPolicyChanged(
        project_id=state.project_id, project_name=state.name, policy=policy, enabled=enabled,
        weakened=not enabled, owner_user_ids=state.owners(),
    )


def check_scoped_token(state: ProjectState, uploader: Uploader) -> None:
    """Policy require_scoped_tokens: the token's project caveats must name this project. A name
    pattern alone does not count (it also covers projects created later). Raises ScopedTokenRequired."""
    if REQUIRE_SCOPED_TOKENS not in state.policies:
        return
    named = {normalize(project) for project in uploader.token_projects}
    if state.normalized_name in named or normalize(state.name) in named:
        return
    kind = (f"covers projects by the pattern '{uploader.token_project_pattern}'"
            if uploader.token_project_pattern else "is user-wide")
    raise ScopedTokenRequired(
        f"Project '{state.name}' accepts uploads only with API tokens scoped to it, and this token {kind}; "
        f"create a token for project '{state.name}'."
    )


def needs_factor_methods(state: ProjectState) -> bool:
    """Whether the upload checks need the uploader's second factors looked up."""
    return bool(FACTOR_POLICIES & state.policies)


def check_uploader_factors(state: ProjectState, uploader: Uploader, factor_methods: frozenset[str]) -> None:
    """Policies require_2fa and require_phishing_resistant_2fa for a token upload (no login to
    look at): the token's owner needs a second factor, or a security key. Raises
    ProjectRequiresSecondFactor or ProjectRequiresPhishingResistantFactor."""
    if REQUIRE_2FA in state.policies and not SECOND_FACTOR_METHODS & factor_methods:
        raise ProjectRequiresSecondFactor(
            f"Project '{state.name}' requires its collaborators to use two-factor authentication: "
            f"user '{uploader.username}' has no second factor; add an authenticator app or a security key."
        )
    if REQUIRE_PHISHING_RESISTANT_2FA in state.policies and SECURITY_KEY_METHOD not in factor_methods:
        raise ProjectRequiresPhishingResistantFactor(
            f"Project '{state.name}' requires a phishing-resistant second factor: user '{uploader.username}' "
            "has no security key; add one to your account to upload with an API token."
        )


def policy_states(state: ProjectState) -> list[tuple[str, bool]]:
    """Every policy with whether it is on, in POLICIES order."""
    return [(name, name in state.policies) for name in POLICIES]
