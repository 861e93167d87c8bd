"""The token aggregate: given these events, when this command, then these events (or this error)."""

import json

import pytest

from gatehouse.events.v1 import tokens_pb2 as events
from services.tokens.domain import model
from services.tokens.domain.errors import InvalidTokenName, TokenNotFound
from services.tokens.domain.scope import Scope, validated

TOKEN, USER = "7d3c1d2e-0000-4000-8000-000000000001", "user-1"
NOW = 1_800_000_000


def issued(**scope) -> events.TokenIssued:
    command = model.IssueToken(TOKEN, USER, "ci", validated(Scope(**scope), NOW))
    return model.issue(command)[0]


def test_issuing_records_the_caveat_documents_and_expiry_but_no_secret():
    event = issued(projects=("demo",), expires_at=NOW + 60)
    assert json.loads(event.caveats_json) == [
        {"v": 1, "user": USER},
        {"v": 1, "projects": ["demo"]},
        {"v": 1, "actions": ["create-project", "upload", "yank"]},
        {"v": 1, "exp": NOW + 60},
    ]
    assert event.expires_at_us == (NOW + 60) * 1_000_000
    assert set(event.DESCRIPTOR.fields_by_name) == {
        "token_id", "user_id", "name", "caveats_json", "expires_at_us", "rotated_from", "projects"
    }


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_of_1_to_100_characters(name):
    with pytest.raises(InvalidTokenName):
        model.checked_name(name)


def test_given_an_issued_token_when_revoked_then_token_revoked():
    state = model.fold([issued()])
    assert model.revoke(state, model.REVOKED_BY_OWNER) == [
        events.TokenRevoked(token_id=TOKEN, user_id=USER, reason="revoked_by_owner")
    ]


def test_given_a_revoked_token_when_revoked_again_then_nothing():
    revoked = events.TokenRevoked(token_id=TOKEN, user_id=USER, reason="revoked_by_owner")
    state = model.fold([issued(), revoked])
    assert state.revoked and state.version == 2
    assert model.revoke(state, model.REVOKED_BY_OWNER) == []


def test_given_no_token_when_revoked_then_not_found():
    with pytest.raises(TokenNotFound):
        model.revoke(model.fold([]), model.REVOKED_BY_OWNER)


def test_given_a_token_when_a_verification_is_refused_then_token_rejected_with_the_sentence():
    refusal, new_events = model.after_verification(model.fold([issued()]), "the token has expired.")
    assert refusal == "the token has expired."
    assert new_events == [
        events.TokenRejected(token_id=TOKEN, user_id=USER, reason="Invalid API Token: the token has expired.")
    ]


def test_given_a_token_when_a_verification_is_accepted_then_no_event():
    assert model.after_verification(model.fold([issued()]), None) == (None, [])


def test_given_a_single_use_token_when_first_accepted_then_it_is_consumed():
    state = model.fold([issued(single_use=True)])
    assert state.single_use
    assert model.after_verification(state, None) == (
        None, [events.TokenRevoked(token_id=TOKEN, user_id=USER, reason="single_use_consumed")]
    )


def test_given_a_revoked_token_when_presented_then_refused_whatever_else_held():
    revoked = events.TokenRevoked(token_id=TOKEN, user_id=USER, reason="single_use_consumed")
    refusal, new_events = model.after_verification(model.fold([issued(single_use=True), revoked]), None)
    assert refusal == model.REVOKED_OR_UNKNOWN
    assert [type(event) for event in new_events] == [events.TokenRejected]
