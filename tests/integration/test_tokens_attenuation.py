"""A holder narrows a token offline, with plain pymacaroons or `gatehouse token restrict`; the
narrower token works within, and only within, its narrower scope (the original is untouched)."""

from __future__ import annotations

import json

import pytest
from pymacaroons import Macaroon

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import build_project, twine_upload

PREFIX = "gatehouse-"


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    where = tmp_path_factory.mktemp("build")
    return {name: build_project(where, name, "1.0") for name in ("narrow-a", "narrow-b", "narrow-c")}


@pytest.fixture(scope="module")
def wide(alice) -> str:
    return alice.create_token("wide")["token"]


def _with_caveats(token: str, *documents: dict) -> str:
    macaroon = Macaroon.deserialize(token.removeprefix(PREFIX))
    for document in documents:
        macaroon.add_first_party_caveat(json.dumps(document))
    return PREFIX + macaroon.serialize()


def _refused_for(alice, done, reason: str) -> None:
    assert done.returncode != 0
    expected = f"403 Forbidden from {alice.gatehouse.url}/legacy/ Invalid API Token: {reason}"
    assert expected in _said(done), _said(done)


def test_a_pymacaroons_attenuated_token_works_within_its_scope(alice, wide, builds):
    narrow = _with_caveats(wide, {"v": 1, "projects": ["narrow-a"]}, {"v": 1, "exp": 4102444800})
    done = twine_upload(alice.gatehouse, narrow, builds["narrow-a"])
    assert done.returncode == 0, _said(done)


def test_a_pymacaroons_attenuated_token_is_refused_outside_its_scope(alice, wide, builds):
    narrow = _with_caveats(wide, {"v": 1, "projects": ["narrow-a"]})
    _refused_for(alice, twine_upload(alice.gatehouse, narrow, builds["narrow-b"][:1]),
                 "the token is not valid for project 'narrow-b'.")


def test_an_attenuated_expiry_in_the_past_is_honoured(alice, wide, builds):
    narrow = _with_caveats(wide, {"v": 1, "exp": 1767225600})
    _refused_for(alice, twine_upload(alice.gatehouse, narrow, builds["narrow-a"][:1]),
                 "the token expired at 2026-01-01T00:00:00Z.")


def _restrict(alice, token: str, *options: str) -> str:
    done = alice.gatehouse.cli("token", "restrict", "-", *options, stdin=token + "\n")
    assert done.returncode == 0, done.stderr
    narrow = done.stdout.strip()
    assert narrow.startswith(PREFIX) and narrow != token
    return narrow


def test_gatehouse_token_restrict_narrows_to_a_project(alice, wide, builds):
    narrow = _restrict(alice, wide, "--project", "narrow-b", "--expires", "2099-01-01")
    done = twine_upload(alice.gatehouse, narrow, builds["narrow-b"])
    assert done.returncode == 0, _said(done)
    _refused_for(alice, twine_upload(alice.gatehouse, narrow, builds["narrow-c"][:1]),
                 "the token is not valid for project 'narrow-c'.")


def test_gatehouse_token_restrict_narrows_actions_and_networks(alice, wide, builds):
    no_upload = _restrict(alice, wide, "--action", "read-audit")
    _refused_for(alice, twine_upload(alice.gatehouse, no_upload, builds["narrow-c"][:1]),
                 "the token does not allow the action 'upload'.")
    elsewhere = _restrict(alice, wide, "--cidr", "203.0.113.0/24")
    _refused_for(alice, twine_upload(alice.gatehouse, elsewhere, builds["narrow-c"][:1]),
                 "the token is not valid from the address 127.0.0.1.")


def test_introspection_shows_the_narrower_scope_and_the_original_still_works(alice, wide, builds):
    narrow = _restrict(alice, wide, "--project", "narrow-c")
    answer = alice.post("/api/v1/tokens/introspect", {"token": narrow}).json()
    assert answer["valid"] is True and answer["caveats"]["projects"] == ["narrow-c"]
    done = twine_upload(alice.gatehouse, wide, builds["narrow-c"])
    assert done.returncode == 0, _said(done)


def test_a_single_use_caveat_added_by_the_holder_is_honoured(alice, tmp_path):
    files = build_project(tmp_path, "narrow-once", "1.0")
    once = _with_caveats(alice.create_token("to-narrow-once")["token"], {"v": 1, "single_use": True})
    assert alice.post("/api/v1/tokens/introspect", {"token": once}).json()["caveats"]["single_use"] is True
    done = twine_upload(alice.gatehouse, once, files[:1])
    assert done.returncode == 0, _said(done)
    _refused_for(alice, twine_upload(alice.gatehouse, once, files[1:]),
                 "the token has been revoked or does not exist.")


def test_gatehouse_token_restrict_single_use_works_once_then_is_refused(alice, tmp_path):
    files = build_project(tmp_path, "narrow-cli-once", "1.0")
    once = _restrict(alice, alice.create_token("to-restrict-once")["token"], "--single-use")
    assert alice.post("/api/v1/tokens/introspect", {"token": once}).json()["caveats"]["single_use"] is True
    done = twine_upload(alice.gatehouse, once, files[:1])
    assert done.returncode == 0, _said(done)
    _refused_for(alice, twine_upload(alice.gatehouse, once, files[1:]),
                 "the token has been revoked or does not exist.")


def test_introspecting_a_genuine_but_refused_token_tells_owner_caveats_expiry_and_last_use(alice, builds):
    token = alice.create_token("introspected", projects=["narrow-a"])
    used = twine_upload(alice.gatehouse, token["token"], builds["narrow-a"][:1])  # a last use to show
    assert used.returncode == 0, _said(used)
    expired = _with_caveats(token["token"], {"v": 1, "exp": 1767225600})

    def answer():
        body = alice.post("/api/v1/tokens/introspect", {"token": expired}).json()
        return body if body["last_used"] else None  # last uses are written about once a second

    body = wait_until(answer, timeout=10)
    assert body["valid"] is False
    assert body["reason"] == "Invalid API Token: the token expired at 2026-01-01T00:00:00Z."
    assert (body["id"], body["user"]) == (token["id"], "alice")
    assert body["caveats"]["projects"] == ["narrow-a"] and body["expires_at"] == "2026-01-01T00:00:00.000000Z"
    assert body["last_used"]["ip_address"] == "127.0.0.1"

    forged = Macaroon(location="x", identifier=Macaroon.deserialize(token["token"].removeprefix(PREFIX)).identifier,
                      key=b"k" * 32, version=2)
    withheld = alice.post("/api/v1/tokens/introspect", {"token": PREFIX + forged.serialize()}).json()
    assert withheld["valid"] is False and withheld["user"] is None and withheld["caveats"] is None

    revoked = alice.http.delete(f"{alice.gatehouse.url}/api/v1/tokens/{token['id']}",
                                headers={"X-CSRF-Token": alice.csrf})
    assert revoked.status_code == 200, revoked.text
    body = alice.post("/api/v1/tokens/introspect", {"token": token["token"]}).json()
    assert body["reason"] == "Invalid API Token: the token has been revoked or does not exist."
    assert (body["id"], body["user"], body["caveats"]["projects"]) == (token["id"], "alice", ["narrow-a"])
