"""Rotation and leak reports: the aggregate's decisions, the report reader, the partner-key
signature check and the tokens service in-process (real gRPC, real SQLite)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import tokens_pb2 as events
from gatehouse.tokens.v1 import tokens_pb2
from services.tokens.adapters.disclosure_keys import DisclosureKeys
from services.tokens.application.disclosures import LeakedItem, read_report
from services.tokens.domain import model
from services.tokens.domain.errors import DisclosureMalformed, TokenAlreadyRevoked, TokenNotFound
from services.tokens.domain.scope import Scope, validated
from services.tokens.tests.test_component import ALICE, CONTEXT, MALLORY, issue, service, verify  # noqa: F401

TOKEN, NEW, USER, NOW = "7d3c1d2e-0000-4000-8000-000000000001", "7d3c1d2e-0000-4000-8000-000000000002", "u1", 1_800_000_000


def issued() -> events.TokenIssued:
    return model.issue(model.IssueToken(TOKEN, USER, "ci", validated(Scope(projects=("demo",)), NOW)))[0]


def test_rotation_revokes_the_old_token_and_issues_the_same_caveats_anew():
    old_events, new_events = model.rotate(model.fold([issued()]), NEW)
    assert old_events == [events.TokenRotated(token_id=TOKEN, user_id=USER, name="ci", new_token_id=NEW)]
    (new,) = new_events
    assert (new.token_id, new.caveats_json, new.rotated_from) == (NEW, issued().caveats_json, TOKEN)
    assert list(new.projects) == ["demo"]
    assert model.fold([issued(), *old_events]).revoked


def test_a_revoked_or_unknown_token_cannot_be_rotated():
    revoked = events.TokenRevoked(token_id=TOKEN, user_id=USER, reason=model.REVOKED_BY_OWNER)
    with pytest.raises(TokenAlreadyRevoked):
        model.rotate(model.fold([issued(), revoked]), NEW)
    with pytest.raises(TokenNotFound):
        model.rotate(model.fold([]), NEW)


def test_a_leak_revokes_once_and_carries_what_a_mail_needs():
    leaked = model.report_leak(model.fold([issued()]), "https://github.com/a/b", "content", "key-1")
    assert leaked == [events.TokenLeaked(token_id=TOKEN, user_id=USER, name="ci", url="https://github.com/a/b",
                                         source="content", reporter_key_id="key-1")]
    assert model.fold([issued(), *leaked]).revoked
    assert model.report_leak(model.fold([issued(), *leaked]), "https://x", "", "key-1") == []
    assert model.report_leak(model.fold([]), "https://x", "", "key-1") == []


def test_a_report_is_a_json_list_of_items_with_a_token():
    body = json.dumps([{"token": "t", "type": "x", "url": "https://u", "source": "content"}]).encode()
    assert read_report(body) == [LeakedItem("t", "https://u", "content")]
    for bad in (b"{}", b"[1]", b'[{"url": "u"}]', b"not json", b"[" * 100_000, b'[{"token": 1}]'):
        with pytest.raises(DisclosureMalformed):
            read_report(bad)


@pytest.fixture
def partner(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"key-1": pem.decode()}))
    return key, DisclosureKeys(str(keys_file))


def sign(key, body: bytes) -> str:
    return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def test_only_a_configured_key_signature_over_the_exact_body_verifies(partner):
    key, keys = partner
    body = b'[{"token": "t"}]'
    assert keys.signed(body, "key-1", sign(key, body))
    assert not keys.signed(body + b" ", "key-1", sign(key, body))
    assert not keys.signed(body, "key-2", sign(key, body))
    assert not keys.signed(body, "key-1", sign(ec.generate_private_key(ec.SECP256R1()), body))
    assert not keys.signed(body, "key-1", "not base64!")
    assert not DisclosureKeys("").signed(body, "key-1", sign(key, body))
    assert not DisclosureKeys("/nonexistent/keys.json").signed(body, "key-1", sign(key, body))


async def test_rotate_over_grpc_gives_a_working_secret_and_kills_the_old(service):
    stub, _ = service
    old = await issue(stub, projects=["demo"])
    rotated = await stub.RotateToken(tokens_pb2.RotateTokenRequest(owner=ALICE, token_id=old.token.token_id,
                                                                   context=CONTEXT))
    assert rotated.replaced_token_id == old.token.token_id
    assert list(rotated.token.caveat_documents) == list(old.token.caveat_documents)
    assert (await verify(stub, rotated.secret)).valid
    assert not (await verify(stub, old.secret)).valid


async def test_someone_elses_token_cannot_be_rotated(service):
    stub, _ = service
    old = await issue(stub)
    with pytest.raises(Exception) as raised:
        await stub.RotateToken(tokens_pb2.RotateTokenRequest(owner=MALLORY, token_id=old.token.token_id))
    assert raised.value.code().name == "NOT_FOUND"
    assert (await verify(stub, old.secret)).valid


async def test_a_leak_report_without_configured_keys_is_refused(service):
    stub, _ = service
    old = await issue(stub)
    body = json.dumps([{"token": old.secret}]).encode()
    with pytest.raises(Exception) as raised:
        await stub.ReportLeak(tokens_pb2.ReportLeakRequest(body=body, key_id="k", signature="c2ln",
                                                           context=common_pb2.RequestContext()))
    assert raised.value.code().name == "PERMISSION_DENIED"
    assert (await verify(stub, old.secret)).valid


def test_project_events_follow_a_scoped_tokens_start_and_end():
    event = model.issue(model.IssueToken(TOKEN, USER, "ci", validated(Scope(projects=("demo", "new")), NOW)))[0]
    caveats_json = '[{"v":1,"projects":["demo","new"],"project_ids":{"demo":"p1"}}]'
    added = model.project_events(event, caveats_json, "ci")
    assert [(project, project_id, type(e).__name__) for project, project_id, e in added] == [
        ("demo", "p1", "ProjectTokenAdded"), ("new", "", "ProjectTokenAdded")]
    rotated = events.TokenRotated(token_id=TOKEN, user_id=USER, name="ci", new_token_id=NEW)
    (removed,) = model.project_events(rotated, '[{"v":1,"projects":["demo"]}]', "ci")
    assert removed[2] == events.ProjectTokenRemoved(token_id=TOKEN, user_id=USER, name="ci", project="demo",
                                                    reason="TokenRotated")
    assert model.project_events(rotated, '[{"v":1,"user":"u1"}]', "ci") == []
    rejected = events.TokenRejected(token_id=TOKEN, user_id=USER, reason="x")
    assert model.project_events(rejected, caveats_json, "ci") == []


@pytest.mark.parametrize(
    ("ip", "network"),
    [("203.0.113.9", "203.0.113.0/24"), ("::ffff:203.0.113.9", "203.0.113.0/24"),
     ("2001:db8:1:2:3::4", "2001:db8:1:2::/64"), ("not an address", "")],
)
def test_networks_for_new_network_alerts(ip, network):
    assert model.network_of(ip) == network


def test_a_use_from_a_known_network_records_nothing_and_a_new_one_records_token_used():
    first = model.after_verification(model.fold([issued()]), None, "10.0.0.7")[1]
    assert first == [events.TokenUsed(token_id=TOKEN, user_id=USER, name="ci", network="10.0.0.0/24",
                                      ip_address="10.0.0.7")]
    state = model.fold([issued(), *first])
    assert model.after_verification(state, None, "10.0.0.200") == (None, [])
    assert [type(e).__name__ for e in model.after_verification(state, None, "10.0.1.1")[1]] == ["TokenUsed"]
