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


def test_tags_are_shaped_source_subject_action_and_unique():
    values = list(tags.TAG_OF_EVENT_TYPE.values())
    assert all(TAG_SHAPE.match(tag) for tag in values)
    assert len(values) == len(set(values))


def test_an_unknown_event_type_gets_an_unknown_tag_and_a_sentence():
    assert tags.tag_of("TokenTeleported") == "unknown:TokenTeleported"
    assert tags.render("unknown:TokenTeleported", {}) == "Event TokenTeleported"


@pytest.mark.parametrize(
    ("tag", "record", "sentence"),
    [
        ("account:login:succeeded", {"user_id": "u"}, "Logged in"),
        ("account:login:failed", {"reason": "wrong password"}, "Login failed (wrong password)"),
        ("account:login:failed", {"reason": "invalid_password"}, "Login failed (invalid password)"),
        ("project:upload:rejected", {"filename": "a_b.whl", "reason": "Use a_b."}, "Upload of a_b.whl rejected (Use a_b.)"),
        ("account:session:ended", {}, "Logged out"),
        ("account:session:ended", {"reason": "expired"}, "Session ended (expired)"),
        ("account:api_token:issued", {"name": "ci"}, "API token 'ci' issued"),
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


def test_email_verification_and_password_change_are_tagged_and_rendered():
    assert tags.tag_of("EmailVerified") == "account:email:verified"
    assert tags.tag_of("PasswordChanged") == "account:password:changed"
    assert tags.render("account:email:verified", {"email": "a@example.org"}) == "E-mail address a@example.org verified"
    assert tags.render("account:password:changed", {"sessions_ended": 2}) == "Password changed; 2 other sessions ended"
    assert tags.render("account:password:changed", {}) == "Password changed"
    assert tags.render("account:session:ended", {"reason": "password_changed"}) == "Session ended (password changed)"
