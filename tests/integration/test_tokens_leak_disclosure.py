"""Leak disclosure in GitHub's secret-scanning format: a report signed with a configured key
revokes every real token in it and logs the public URL; a bad signature changes nothing;
unknown tokens get the same answer as real ones."""

from __future__ import annotations

import base64
import json
import os

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer
from tests.integration.test_alerts import mails_to
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url

KEY_ID = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"
LEAK_URL = "https://github.com/octo/ci/blob/main/.env"


@pytest.fixture(scope="module")
def reporter_key(tmp_path_factory):
    """The partner's private key; its public half is configured for the instance."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    keys_file = tmp_path_factory.mktemp("disclosure") / "keys.json"
    keys_file.write_text(json.dumps({KEY_ID: pem}))
    return key, keys_file


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats, reporter_key):
    """An instance configured with the partner's public key (GATEHOUSE_DISCLOSURE_KEYS)."""
    database_url = postgres_base_url()
    previous = os.environ.get("GATEHOUSE_DISCLOSURE_KEYS")
    os.environ["GATEHOUSE_DISCLOSURE_KEYS"] = str(reporter_key[1])
    instance = Gatehouse(tmp_path_factory.mktemp("gatehouse") / "data", nats.url, database_url)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()
        if previous is None:
            os.environ.pop("GATEHOUSE_DISCLOSURE_KEYS", None)
        else:
            os.environ["GATEHOUSE_DISCLOSURE_KEYS"] = previous
        if database_url:
            drop_postgres_databases(database_url)


def _report(gatehouse: Gatehouse, key, tokens: list[str], key_id: str = KEY_ID) -> requests.Response:
    body = json.dumps(
        [{"token": token, "type": "gatehouse_api_token", "url": LEAK_URL, "source": "content"} for token in tokens]
    ).encode()
    signature = base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"Github-Public-Key-Identifier": key_id, "Github-Public-Key-Signature": signature,
               "Content-Type": "application/json"}
    return requests.post(f"{gatehouse.url}/api/v1/tokens/disclosures", data=body, headers=headers, timeout=30)


def _valid(alice: Maintainer, token: str) -> bool:
    return alice.post("/api/v1/tokens/introspect", {"token": token}).json()["valid"]


def test_a_report_signed_by_another_key_is_refused_and_changes_nothing(alice, reporter_key):
    token = alice.create_token("still-good")["token"]
    stranger = ec.generate_private_key(ec.SECP256R1())
    answer = _report(alice.gatehouse, stranger, [token])
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "disclosure_signature_invalid"
    assert _report(alice.gatehouse, reporter_key[0], [token], key_id="unknown-key").status_code == 403
    assert _valid(alice, token)


def test_a_signed_report_revokes_the_real_token_and_logs_the_url(alice, reporter_key):
    token = alice.create_token("leaky")
    answer = _report(alice.gatehouse, reporter_key[0], [token["token"]])
    assert answer.status_code == 200, answer.text
    assert not _valid(alice, token["token"])
    events = alice.wait_for_events("users", "alice", {"account:api_token:removed_leak"}, timeout=10)
    leaks = [event for event in events if event["tag"] == "account:api_token:removed_leak"]
    assert leaks and leaks[0]["additional"]["url"] == LEAK_URL
    assert leaks[0]["additional"]["name"] == "leaky" and leaks[0]["additional"]["token_id"] == token["id"]


def test_a_signed_report_mails_the_owner_naming_the_token_and_the_url(alice, reporter_key):
    token = alice.create_token("mailed-leak")
    assert _report(alice.gatehouse, reporter_key[0], [token["token"]]).status_code == 200

    def leak_mails():
        return [mail for mail in mails_to(alice.gatehouse, alice.email)
                if mail["Subject"] == "API token found in public and revoked" and "'mailed-leak'" in mail.get_content()]

    wait_until(leak_mails, timeout=30)
    assert len(leak_mails()) == 1 and LEAK_URL in leak_mails()[0].get_content()


def test_unknown_tokens_get_the_same_answer_as_real_ones(alice, reporter_key):
    real = alice.create_token("leaky-too")["token"]
    unknown = "gatehouse-AgEWaHR0cDovL2xvY2FsaG9zdAI5eyJ0b2tlbl9pZCI6ImFiYyJ9"
    real_answer = _report(alice.gatehouse, reporter_key[0], [real])
    unknown_answer = _report(alice.gatehouse, reporter_key[0], [unknown])
    assert (real_answer.status_code, real_answer.json()) == (unknown_answer.status_code, unknown_answer.json())


def test_a_forged_string_naming_a_real_token_id_does_not_revoke_it(alice, reporter_key):
    from pymacaroons import Macaroon

    token = alice.create_token("named")
    original = Macaroon.deserialize(token["token"].removeprefix("gatehouse-"))
    forged = Macaroon(location=original.location, identifier=original.identifier, key=b"x" * 32, version=2)
    assert _report(alice.gatehouse, reporter_key[0], ["gatehouse-" + forged.serialize()]).status_code == 200
    assert _valid(alice, token["token"])


def test_a_malformed_signed_report_is_a_bad_request(alice, reporter_key):
    body = b'{"not": "a list"}'
    signature = base64.b64encode(reporter_key[0].sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    answer = requests.post(f"{alice.gatehouse.url}/api/v1/tokens/disclosures", data=body, timeout=30, headers={
        "Github-Public-Key-Identifier": KEY_ID, "Github-Public-Key-Signature": signature})
    assert answer.status_code == 400, answer.text
