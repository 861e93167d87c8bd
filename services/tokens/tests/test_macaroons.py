"""Token secrets as macaroons: minting, reading, signature checks and offline attenuation."""

import json

import pytest
from pymacaroons import Macaroon

from services.tokens.adapters.crypto import new_root_key
from services.tokens.adapters.macaroons import MacaroonCodec
from services.tokens.domain.caveats import UNREADABLE_REASON, CaveatPipeline, Presentation
from services.tokens.domain.errors import TokenMalformed
from services.tokens.domain.model import NOT_A_TOKEN, SIGNATURE_INVALID

PREFIX = "gatehouse-"
TOKEN, USER = "7d3c1d2e-0000-4000-8000-000000000001", "user-1"
ISSUED = ['{"user":"user-1","v":1}', '{"actions":["upload","yank"],"v":1}']


@pytest.fixture
def codec():
    return MacaroonCodec(PREFIX, "https://index.example")


@pytest.fixture
def root_key():
    return new_root_key()


def verify(codec, secret, root_key, **operation):
    """The refusal reason for presenting `secret` for `operation`, or None."""
    pipeline = CaveatPipeline(Presentation(owner_user_id=USER, now_s=1_800_000_000, **operation))
    return codec.verify(codec.read(secret), root_key, pipeline)


def attenuate(secret: str, *documents: dict) -> str:
    """What a holder does offline with plain pymacaroons."""
    macaroon = Macaroon.deserialize(secret.removeprefix(PREFIX))
    for document in documents:
        macaroon.add_first_party_caveat(json.dumps(document))
    return PREFIX + macaroon.serialize()


def test_a_minted_token_names_its_id_and_verifies(codec, root_key):
    secret = codec.mint(TOKEN, root_key, ISSUED)
    assert secret.startswith(PREFIX)
    presented = codec.read(secret)
    assert presented.token_id == TOKEN
    assert presented.predicates() == ISSUED
    assert verify(codec, secret, root_key, project="demo", action="yank") is None


def test_holder_attenuation_is_honoured_and_only_narrows(codec, root_key):
    narrowed = attenuate(codec.mint(TOKEN, root_key, ISSUED), {"v": 1, "projects": ["demo"]})
    assert verify(codec, narrowed, root_key, project="demo", action="upload") is None
    assert verify(codec, narrowed, root_key, project="other", action="upload") == (
        "the token is not valid for project 'other'."
    )


def test_holder_cannot_widen_the_actions(codec, root_key):
    upload_only = codec.mint(TOKEN, root_key, ['{"user":"user-1","v":1}', '{"actions":["upload"],"v":1}'])
    widened = attenuate(upload_only, {"v": 1, "actions": ["upload", "manage-roles"]})
    assert verify(codec, widened, root_key, action="manage-roles") == (
        "the token does not allow the action 'manage-roles'."
    )


def test_a_holder_added_caveat_the_server_does_not_understand_refuses_the_token(codec, root_key):
    odd = attenuate(codec.mint(TOKEN, root_key, ISSUED), {"v": 1, "weekday": "monday"})
    assert verify(codec, odd, root_key, action="upload") == UNREADABLE_REASON


def test_a_token_signed_with_another_key_is_refused(codec, root_key):
    forged = codec.mint(TOKEN, new_root_key(), ISSUED)
    assert verify(codec, forged, root_key, action="upload") == SIGNATURE_INVALID


def test_a_forged_token_whose_caveat_also_fails_is_still_a_forgery(codec, root_key):
    forged = codec.mint(TOKEN, new_root_key(), ['{"exp":1,"v":1}'])
    assert verify(codec, forged, root_key, action="upload") == SIGNATURE_INVALID


def test_removing_a_caveat_breaks_the_signature(codec, root_key):
    macaroon = Macaroon.deserialize(codec.mint(TOKEN, root_key, ISSUED).removeprefix(PREFIX))
    macaroon.caveats.pop()  # e.g. drop the actions restriction, keep the final signature
    assert verify(codec, PREFIX + macaroon.serialize(), root_key, action="upload") == SIGNATURE_INVALID


@pytest.mark.parametrize(
    "secret",
    [
        "pypi-AgEIcHlwaS5vcmc",  # another index's prefix
        "",
        PREFIX,
        PREFIX + "not base64 at all!",
        PREFIX + "AAAA",
        PREFIX + "x" * 20_000,
    ],
)
def test_a_string_that_is_not_a_gatehouse_token_is_malformed(codec, secret):
    with pytest.raises(TokenMalformed) as refused:
        codec.read(secret)
    assert refused.value.reason == NOT_A_TOKEN


def test_a_macaroon_without_a_gatehouse_identifier_is_malformed(codec, root_key):
    stranger = Macaroon(location="elsewhere", identifier="just-some-id", key=root_key)
    with pytest.raises(TokenMalformed):
        codec.read(PREFIX + stranger.serialize())


def test_a_token_missing_its_prefix_is_malformed(codec, root_key):
    with pytest.raises(TokenMalformed):
        codec.read(codec.mint(TOKEN, root_key, ISSUED).removeprefix(PREFIX))


def test_third_party_caveats_are_not_understood(codec, root_key):
    macaroon = Macaroon.deserialize(codec.mint(TOKEN, root_key, ISSUED).removeprefix(PREFIX))
    macaroon.add_third_party_caveat("https://auth.example", "shared key", "caveat id")
    assert verify(codec, PREFIX + macaroon.serialize(), root_key) == UNREADABLE_REASON
