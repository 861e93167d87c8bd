"""TOTP: the RFC 6238 vectors, the accepted window, replays and clock skew."""

import base64

import pytest

from services.mfa.domain import totp
from services.mfa.domain.errors import InvalidTotp, ReplayedTotp, TotpClockOutOfSync

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_appendix_b_sha1_vectors(unix_time, code):
    assert totp.code_at_step(RFC_SECRET, totp.step_at(unix_time), digits=8) == code


def test_a_new_secret_has_160_bits():
    assert len(base64.b32decode(totp.new_secret())) == 20


def test_the_provisioning_uri_names_the_user_and_issuer():
    uri = totp.provisioning_uri(RFC_SECRET, "alice")
    assert uri.startswith("otpauth://totp/Gatehouse:alice?") and "issuer=Gatehouse" in uri


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_one_step_either_side_is_accepted(offset):
    code = totp.code_at_step(RFC_SECRET, 1000 + offset)
    assert totp.accepted_step(RFC_SECRET, code, 1000, last_step=0) == 1000 + offset


def test_spaces_in_a_code_are_ignored():
    code = totp.code_at_step(RFC_SECRET, 1000)
    assert totp.accepted_step(RFC_SECRET, f"{code[:3]} {code[3:]}", 1000, last_step=0) == 1000


@pytest.mark.parametrize("last_step", [1000, 1001])
def test_a_step_at_or_before_the_last_accepted_is_a_replay(last_step):
    code = totp.code_at_step(RFC_SECRET, 1000)
    with pytest.raises(ReplayedTotp):
        totp.accepted_step(RFC_SECRET, code, 1000, last_step=last_step)


@pytest.mark.parametrize("offset", [-10, -2, 2, 10])
def test_a_code_up_to_ten_steps_away_means_the_clock_is_out_of_sync(offset):
    code = totp.code_at_step(RFC_SECRET, 1000 + offset)
    with pytest.raises(TotpClockOutOfSync, match="clock is out of sync"):
        totp.accepted_step(RFC_SECRET, code, 1000, last_step=0)


def test_a_code_further_away_is_just_wrong():
    code = totp.code_at_step(RFC_SECRET, 1011)
    if code in {totp.code_at_step(RFC_SECRET, s) for s in range(990, 1011)}:
        pytest.skip("a six-digit collision")
    with pytest.raises(InvalidTotp):
        totp.accepted_step(RFC_SECRET, code, 1000, last_step=0)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef"])
def test_malformed_codes_are_invalid(code):
    with pytest.raises(InvalidTotp):
        totp.accepted_step(RFC_SECRET, code, 1000, last_step=0)
