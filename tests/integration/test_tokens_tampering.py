"""A tampered token (one byte changed, a caveat removed, garbage) is refused with a reason."""

from __future__ import annotations

import base64
import json

import pytest
from pymacaroons import Macaroon

from tests.integration.flow import build_project, twine_upload

PREFIX = "gatehouse-"


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    files = build_project(tmp_path_factory.mktemp("build"), "tamper-a", "1.0")
    return [path for path in files if path.suffix == ".whl"]


@pytest.fixture(scope="module")
def scoped(alice) -> str:
    return alice.create_token("scoped", projects=["tamper-b"])["token"]


def _refused_for(alice, token: str, wheel, reason: str) -> None:
    done = twine_upload(alice.gatehouse, token, wheel)
    assert done.returncode != 0
    expected = f"403 Forbidden from {alice.gatehouse.url}/legacy/ Invalid API Token: {reason}"
    assert expected in _said(done), _said(done)


def _raw(token: str) -> bytes:
    body = token.removeprefix(PREFIX)
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _token(raw: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_one_byte_changed_in_a_caveat_is_refused(alice, scoped, wheel):
    raw = _raw(scoped)
    at = raw.index(b"tamper-b") + len("tamper-")
    changed = raw[:at] + b"a" + raw[at + 1:]  # the caveat now names tamper-a
    _refused_for(alice, _token(changed), wheel, "the token's signature is invalid.")


def test_one_byte_changed_in_the_signature_is_refused(alice, scoped, wheel):
    raw = _raw(scoped)
    changed = raw[:-1] + bytes([raw[-1] ^ 0x01])
    _refused_for(alice, _token(changed), wheel, "the token's signature is invalid.")


def test_a_removed_caveat_is_refused(alice, scoped, wheel):
    macaroon = Macaroon.deserialize(scoped.removeprefix(PREFIX))
    macaroon.caveats = [c for c in macaroon.caveats if b"projects" not in c.caveat_id_bytes]
    _refused_for(alice, PREFIX + macaroon.serialize(), wheel, "the token's signature is invalid.")


def test_the_untampered_token_is_refused_only_for_its_scope(alice, scoped, wheel):
    _refused_for(alice, scoped, wheel, "the token is not valid for project 'tamper-a'.")


def test_garbage_is_refused_as_not_a_token(alice, wheel):
    # (Far longer ones never reach us: the HTTP server refuses headers over 8 KiB with a 400.)
    for garbage in (PREFIX + "AAAA", PREFIX + "!!!", "pypi-AgEIcHlwaS5vcmc", PREFIX + "A" * 6000):
        _refused_for(alice, garbage, wheel, "the token is not a Gatehouse API token.")


def test_an_unknown_caveat_version_with_a_valid_signature_is_refused(alice, wheel):
    wide = alice.create_token("wide")["token"]
    macaroon = Macaroon.deserialize(wide.removeprefix(PREFIX))
    macaroon.add_first_party_caveat(json.dumps({"v": 2, "projects": ["tamper-a"]}))
    _refused_for(alice, PREFIX + macaroon.serialize(), wheel,
                 "the token has a caveat this server does not understand.")
