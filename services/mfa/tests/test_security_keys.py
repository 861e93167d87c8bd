"""Security key labels and the parsing of a browser's assertion."""

import base64
import json

import pytest

from services.mfa.adapters import webauthn_ceremonies
from services.mfa.application.security_keys import check_label
from services.mfa.domain.errors import InvalidLabel, InvalidSecurityKeyResponse


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("label", ["", "   ", "x" * 65])
def test_a_label_has_1_to_64_characters(label):
    with pytest.raises(InvalidLabel):
        check_label(label)


def test_a_label_is_trimmed():
    assert check_label("  Desk key ") == "Desk key"
    assert check_label("x" * 64) == "x" * 64


def test_an_assertion_names_its_credential_challenge_and_counter():
    auth_data = bytes(32) + bytes([0x05]) + (7).to_bytes(4, "big")
    client_data = json.dumps({"type": "webauthn.get", "challenge": "abc", "origin": "http://localhost"}).encode()
    credential = {"id": "cred-1", "response": {"authenticatorData": b64url(auth_data),
                                               "clientDataJSON": b64url(client_data), "signature": ""}}
    presented = webauthn_ceremonies.presented_assertion(json.dumps(credential))
    assert (presented.credential_id, presented.challenge, presented.sign_count) == ("cred-1", "abc", 7)


@pytest.mark.parametrize("credential_json", ["not json", "[]", '{"id": "x"}', '{"response": {}}'])
def test_malformed_answers_are_refused(credential_json):
    with pytest.raises(InvalidSecurityKeyResponse):
        webauthn_ceremonies.presented_assertion(credential_json)
