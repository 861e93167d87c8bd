import re

import pytest

from gatehouse.eventstore import registry
from services.audit.domain import tags

TAG_SHAPE = re.compile(r"^[a-z_]+:[a-z_]+:[a-z_]+$")


def test_every_known_event_type_has_a_tag():
    missing = sorted(set(registry.EVENT_TYPES) - set(tags.TAG_OF_EVENT_TYPE))
    assert missing == []


def test_every_tag_has_a_renderer_and_every_renderer_a_tag():
    assert set(tags.TAG_OF_EVENT_TYPE.values()) == set(tags.RENDERERS)


# PyPI's login tags cover both login steps (the password, then the second factor).
SHARED_TAGS = {"account:login:success": {"LoginSucceeded", "SecondFactorAccepted"},
               "account:login:failure": {"LoginFailed", "SecondFactorRejected"}}


def test_tags_are_shaped_source_subject_action_and_unique_but_for_the_login_steps():
    values = list(tags.TAG_OF_EVENT_TYPE.values())
    assert all(TAG_SHAPE.match(tag) for tag in values)
    shared = {tag: {t for t, v in tags.TAG_OF_EVENT_TYPE.items() if v == tag} for tag in values if values.count(tag) > 1}
    assert shared == SHARED_TAGS


@pytest.mark.parametrize(
    ("record", "sentence"),
    [
        ({"second_factor_required": True}, "Password accepted; second factor required"),
        ({"method": "totp", "label": "phone"}, "Authenticator app 'phone' accepted: logged in"),
        ({"method": "webauthn", "label": "desk", "purpose": "reauthenticate"},
         "Security key 'desk' accepted for re-authentication"),
    ],
)
def test_the_login_success_sentence_tells_the_steps_apart(record, sentence):
    assert tags.render("account:login:success", record) == sentence


def test_a_refused_second_step_names_its_method_and_reason():
    sentence = tags.render("account:login:failure", {"method": "totp", "reason": "replayed_totp"})
    assert sentence == "Authenticator app refused at login (replayed totp)"


def test_an_unknown_event_type_gets_an_unknown_tag_and_a_sentence():
    assert tags.tag_of("TokenTeleported") == "unknown:TokenTeleported"
    assert tags.render("unknown:TokenTeleported", {}) == "Event TokenTeleported"


@pytest.mark.parametrize(
    ("tag", "record", "sentence"),
    [
        ("account:login:success", {"user_id": "u"}, "Logged in"),
        ("account:login:failure", {"reason": "wrong password"}, "Login failed (wrong password)"),
        ("account:login:failure", {"reason": "invalid_password"}, "Login failed (invalid password)"),
        ("project:upload:rejected", {"filename": "a_b.whl", "reason": "Use a_b."}, "Upload of a_b.whl rejected (Use a_b.)"),
        ("account:session:ended", {}, "Logged out"),
        ("account:session:ended", {"reason": "account_locked"}, "Session ended (account locked)"),
        ("account:user:locked", {"reason": "spam", "sessions_ended": 2},
         "Account locked by an operator (spam); 2 sessions ended"),
        ("account:user:locked", {}, "Account locked by an operator"),
        ("account:user:unlocked", {}, "Account unlocked by an operator"),
        ("account:session:reauthenticated", {"session_id": "s1"},
         "Password confirmed for sensitive changes (re-authentication)"),
        ("account:session:reauthenticated", {"session_id": "s1", "method": "webauthn", "label": "desk"},
         "Security key 'desk' confirmed for sensitive changes (re-authentication)"),
        ("account:login:failure", {"method": "webauthn", "reason": "invalid_webauthn", "purpose": "reauthenticate"},
         "Security key refused at re-authentication (invalid webauthn)"),
        ("account:session:ended", {"reason": "expired"}, "Session ended (expired)"),
        ("account:api_token:added", {"name": "ci"}, "API token 'ci' added"),
        ("account:user:created", {"username": "alice", "created_by": "operator"},
         "Account alice created by an operator"),
        ("file:file:added", {"filename": "demo-1.0.tar.gz", "version": "1.0"},
         "File demo-1.0.tar.gz added to release 1.0"),
        ("project:role:added", {"username": "bob", "role": "Owner"}, "bob added as Owner"),
    ],
)
def test_renderers_write_one_short_sentence(tag, record, sentence):
    assert tags.render(tag, record) == sentence


def test_every_renderer_copes_with_an_empty_record():
    for tag in tags.RENDERERS:
        assert tags.render(tag, {})


def test_a_policy_change_is_tagged_and_says_whether_it_weakened_the_project():
    assert tags.tag_of("ProjectPolicyChanged") == "project:policy:changed"
    off = tags.render("project:policy:changed", {"policy": "require_2fa", "weakened": True})
    assert off == "Policy require_2fa turned off (weakened: every owner was mailed)"
    assert tags.render("project:policy:changed", {"policy": "require_2fa", "enabled": True}) == "Policy require_2fa turned on"


# What PyPI records (warehouse/events/tags.py), each with the tag that covers it here.
PYPI_RECORDS = {
    "account create": "account:user:created",
    "login success": "account:login:success",
    "login failure (with reason)": "account:login:failure",
    "new device": "account:login:new_device",
    "password change": "account:password:changed",
    "password reset request": "account:password:reset_requested",
    "password reset": "account:password:reset",
    "e-mail add": "account:email:added",
    "e-mail remove": "account:email:removed",
    "e-mail verify": "account:email:verified",
    "e-mail primary change": "account:email:primary_changed",
    "e-mail sent": "account:email:sent",
    "two-factor method added": "account:two_factor:method_added",
    "two-factor method removed": "account:two_factor:method_removed",
    "recovery codes generated": "account:recovery_codes:generated",
    "recovery code used": "account:recovery_codes:used",
    "API token added": "account:api_token:added",
    "API token removed": "account:api_token:removed",
    "API token removed for leak": "account:api_token:removed_leak",
    "API token rotated": "account:api_token:rotated",
    "API token rejected": "account:api_token:rejected",
    "account role added": "project:role:added",
    "account role changed": "project:role:changed",
    "account role removed": "project:role:removed",
    "project create": "project:project:created",
    "project role add": "project:role:added",
    "project role change": "project:role:changed",
    "project role remove": "project:role:removed",
    "release add": "project:release:created",
    "release yank": "project:release:yanked",
    "release unyank": "project:release:unyanked",
    "release publish from stage": "project:release:published_from_stage",
    "project policy change": "project:policy:changed",
    "upload rejected": "project:upload:rejected",
    "project token added": "project:api_token:added",
    "project token removed": "project:api_token:removed",
    "file add": "file:file:added",
    "file remove": "file:file:removed",
}


def test_the_catalogue_covers_what_pypi_records():
    catalogued = set(tags.TAG_OF_EVENT_TYPE.values())
    assert {record: tag for record, tag in PYPI_RECORDS.items() if tag not in catalogued} == {}


def test_planned_event_types_are_not_emitted_yet_and_every_other_entry_is():
    assert tags.PLANNED_EVENT_TYPES <= set(tags.TAG_OF_EVENT_TYPE)
    assert tags.PLANNED_EVENT_TYPES.isdisjoint(registry.EVENT_TYPES)
    assert set(tags.TAG_OF_EVENT_TYPE) - tags.PLANNED_EVENT_TYPES == set(registry.EVENT_TYPES)


@pytest.mark.parametrize(
    ("tag", "record", "sentence"),
    [
        ("account:email:primary_changed", {"old_email": "a@x.org", "new_email": "b@x.org"},
         "Primary e-mail address changed from a@x.org to b@x.org"),
        ("account:email:added", {"email": "b@x.org"}, "E-mail address b@x.org added"),
        ("project:role:changed", {"username": "bob", "old_role": "Maintainer", "role": "Owner"},
         "bob changed from Maintainer to Owner"),
        ("project:role:removed", {"username": "bob", "role": "Owner"}, "bob removed as Owner"),
        ("project:release:yanked", {"version": "1.0", "reason": "broken"}, "Release 1.0 yanked (broken)"),
        ("file:file:removed", {"filename": "demo-1.0.tar.gz"}, "File demo-1.0.tar.gz removed"),
    ],
)

def test_planned_entries_render_one_sentence(tag, record, sentence):
    assert tags.render(tag, record) == sentence


def test_email_verification_and_password_change_are_tagged_and_rendered():
    assert tags.tag_of("EmailVerified") == "account:email:verified"
    assert tags.tag_of("PasswordChanged") == "account:password:changed"
    assert tags.render("account:email:verified", {"email": "a@example.org"}) == "E-mail address a@example.org verified"
    assert tags.render("account:password:changed", {"sessions_ended": 2}) == "Password changed; 2 other sessions ended"
    assert tags.render("account:password:changed", {}) == "Password changed"
    assert tags.render("account:session:ended", {"reason": "password_changed"}) == "Session ended (password changed)"


@pytest.mark.parametrize(
    ("tag", "record", "sentence"),
    [
        ("account:login:new_device", {"email": "a@example.org"},
         "Login from a new device held until confirmed by e-mail (a confirmation link was mailed to a@example.org)"),
        ("account:recovery:identity_confirmed", {"due_at_us": 86_400_000_000},
         "Account recovery: identity confirmed by e-mail; waiting until 1970-01-02 00:00 UTC"),
        ("account:recovery:completed", {"methods_removed": 3}, "Account recovery completed: 3 second factors removed"),
    ],
)
def test_new_device_and_recovery_entries_render_one_sentence(tag, record, sentence):
    assert tags.render(tag, record) == sentence
