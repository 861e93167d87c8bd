"""Project policies as decisions: given a project's events, when a command, then events or an error."""

from dataclasses import replace

import pytest

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain import errors, model, policies
from services.uploads.domain.model import Uploader

NOW = 1_800_000_000_000_000
MINUTE = 60_000_000
OWNER = policies.Manager("u-alice", "alice", frozenset({"totp", "webauthn", "recovery_code"}), "webauthn", NOW - MINUTE)
HISTORY = [
    events.ProjectCreated(project_id="p1", name="Demo", normalized_name="demo", created_by_user_id="u-alice"),
    events.RoleAdded(project_id="p1", project_name="Demo", user_id="u-alice", username="alice", role="Owner"),
    events.RoleAdded(project_id="p1", project_name="Demo", user_id="u-carol", username="carol", role="Owner"),
    events.RoleAdded(project_id="p1", project_name="Demo", user_id="u-bob", username="bob", role="Maintainer"),
]


def given(*policy_names: str) -> model.ProjectState:
    turned_on = [events.ProjectPolicyChanged(project_id="p1", project_name="Demo", policy=name, enabled=True)
                 for name in policy_names]
    return model.fold([*HISTORY, *turned_on])


def when(state, manager=OWNER, **changes):
    return policies.decide(state, manager, policies.SetPolicies(changes, NOW, 30 * MINUTE))


def test_every_policy_is_off_by_default():
    assert policies.policy_states(given()) == [(name, False) for name in policies.POLICIES]


def test_an_owner_turns_a_policy_on_and_the_event_names_every_owner():
    [changed] = when(given(), require_scoped_tokens=True)
    assert (changed.project_id, changed.project_name, changed.policy) == ("p1", "Demo", "require_scoped_tokens")
    assert changed.enabled and not changed.weakened
    assert list(changed.owner_user_ids) == ["u-alice", "u-carol"]


def test_turning_a_policy_off_is_a_weakening_and_folds_into_the_state():
    state = given("require_2fa", "require_staged_releases")
    [changed] = when(state, require_2fa=False, require_staged_releases=True)
    assert (changed.policy, changed.enabled, changed.weakened) == ("require_2fa", False, True)
    assert model.evolve(state, [changed]).policies == {"require_staged_releases"}


def test_values_already_set_record_nothing():
    assert when(given("require_2fa"), require_2fa=True, require_scoped_tokens=False) == []


def test_a_maintainer_cannot_change_policies():
    bob = replace(OWNER, user_id="u-bob", username="bob")
    with pytest.raises(errors.NotAnOwner, match="user 'bob' is a Maintainer"):
        when(given(), bob, require_2fa=True)


def test_an_unknown_policy_is_refused_by_name():
    with pytest.raises(errors.UnknownPolicy, match="'require_magic'"):
        when(given(), require_magic=True)


def test_weakening_needs_a_fresh_login_but_strengthening_does_not():
    stale = replace(OWNER, logged_in_at_us=NOW - 31 * MINUTE)
    with pytest.raises(errors.ReauthenticationRequired, match="within the last 30 minutes"):
        when(given("require_scoped_tokens"), stale, require_scoped_tokens=False)
    assert len(when(given(), stale, require_scoped_tokens=True)) == 1


def test_an_owner_without_2fa_cannot_manage_a_project_requiring_it_nor_turn_it_on():
    no_factor = replace(OWNER, factor_methods=frozenset({"recovery_code"}), login_method="")
    with pytest.raises(errors.ProjectRequiresSecondFactor, match="user 'alice' has no second factor"):
        when(given("require_2fa"), no_factor, require_2fa=False)
    with pytest.raises(errors.ProjectRequiresSecondFactor):
        when(given(), no_factor, require_2fa=True)


@pytest.mark.parametrize("login_method", ["totp", "recovery_code", ""])
def test_phishing_resistant_policy_refuses_managers_who_did_not_log_in_with_a_key(login_method):
    phishable = replace(OWNER, login_method=login_method)
    with pytest.raises(errors.ProjectRequiresPhishingResistantFactor, match="log in again with a security key"):
        when(given("require_phishing_resistant_2fa"), phishable, require_phishing_resistant_2fa=False)


@pytest.mark.parametrize("login_method", ["webauthn", "passkey"])
def test_a_key_or_passkey_login_may_manage_a_phishing_resistant_project(login_method):
    keyed = replace(OWNER, login_method=login_method)
    [changed] = when(given("require_phishing_resistant_2fa"), keyed, require_phishing_resistant_2fa=False)
    assert changed.weakened


WIDE = Uploader("u-bob", "bob", "t1")
SCOPED = replace(WIDE, token_projects=("demo",))


def test_a_scoped_token_policy_refuses_user_wide_and_pattern_tokens():
    state = given("require_scoped_tokens")
    with pytest.raises(errors.ScopedTokenRequired, match="this token is user-wide"):
        policies.check_scoped_token(state, WIDE)
    with pytest.raises(errors.ScopedTokenRequired, match="pattern 'de\\*'"):
        policies.check_scoped_token(state, replace(WIDE, token_project_pattern="de*"))
    policies.check_scoped_token(state, SCOPED)
    policies.check_scoped_token(state, replace(SCOPED, token_projects=("other", "Demo"), token_project_pattern="d*"))


def test_without_the_policy_any_token_the_tokens_service_accepted_passes():
    policies.check_scoped_token(given(), WIDE)


def test_token_uploads_need_a_second_factor_or_a_security_key_as_the_policies_say():
    with pytest.raises(errors.ProjectRequiresSecondFactor, match="user 'bob' has no second factor"):
        policies.check_uploader_factors(given("require_2fa"), WIDE, frozenset({"recovery_code"}))
    policies.check_uploader_factors(given("require_2fa"), WIDE, frozenset({"totp"}))
    with pytest.raises(errors.ProjectRequiresPhishingResistantFactor, match="has no security key"):
        policies.check_uploader_factors(given("require_phishing_resistant_2fa"), WIDE, frozenset({"totp"}))
    policies.check_uploader_factors(given("require_phishing_resistant_2fa"), WIDE, frozenset({"webauthn"}))


def test_staged_releases_policy_is_stored_but_refuses_nothing_yet():
    state = given("require_staged_releases")
    assert not policies.needs_factor_methods(state)
    policies.check_scoped_token(state, WIDE)


def test_an_owner_adds_a_maintainer_and_a_maintainer_adds_nobody():
    from services.uploads.domain.roles import AddRole, decide_add_role

    [added] = decide_add_role(given(), OWNER, AddRole("u-dan", "dan", "Maintainer"))
    assert (added.user_id, added.username, added.role, added.project_id) == ("u-dan", "dan", "Maintainer", "p1")
    bob = replace(OWNER, user_id="u-bob", username="bob")
    with pytest.raises(errors.NotAnOwner, match="can add collaborators"):
        decide_add_role(given(), bob, AddRole("u-dan", "dan", "Maintainer"))
    with pytest.raises(errors.RoleAlreadyHeld, match="already a Maintainer"):
        decide_add_role(given(), OWNER, AddRole("u-bob", "bob", "Owner"))
    with pytest.raises(errors.InvalidRole):
        decide_add_role(given(), OWNER, AddRole("u-dan", "dan", "Admin"))


def test_adding_a_collaborator_is_a_management_action_under_the_policies():
    from services.uploads.domain.roles import AddRole, decide_add_role

    totp_login = replace(OWNER, login_method="totp")
    with pytest.raises(errors.ProjectRequiresPhishingResistantFactor):
        decide_add_role(given("require_phishing_resistant_2fa"), totp_login, AddRole("u-dan", "dan", "Maintainer"))
    assert decide_add_role(given("require_2fa"), totp_login, AddRole("u-dan", "dan", "Maintainer"))
