"""The identity side of the second step: only a fresh proof for this session marks it verified."""

from types import SimpleNamespace

import pytest

from services.identity.application.second_factor import _check_proof, expected_proof
from services.identity.domain.errors import SessionInvalid

KEY = b"k" * 32
NOW = 1_700_000_000_000_000
ROW = SimpleNamespace(user_id="u1", session_id="s1")


def request(proof=None, issued_at=NOW, session_id="s1", method="totp"):
    proof = proof or expected_proof(KEY, "u1", session_id, method, "Authenticator app", issued_at)
    return SimpleNamespace(method="totp", label="Authenticator app", proof=proof, issued_at_us=issued_at)


def test_a_fresh_proof_for_this_session_is_accepted():
    _check_proof(KEY, ROW, request(), NOW + 1_000_000)


@pytest.mark.parametrize(
    "presented",
    [
        request(proof="0" * 64),  # forged
        request(session_id="another-session"),  # signed for another session
        request(method="recovery_code"),  # signed for another method
        request(issued_at=NOW - 61_000_000),  # stale
    ],
)
def test_forged_foreign_or_stale_proofs_are_refused(presented):
    with pytest.raises(SessionInvalid):
        _check_proof(KEY, ROW, presented, NOW)


def test_without_a_configured_key_nothing_is_accepted():
    with pytest.raises(SessionInvalid):
        _check_proof(b"", ROW, request(), NOW)


def test_the_proof_matches_what_the_mfa_service_signs():
    from services.mfa.adapters import proofs

    assert proofs.sign(KEY, "u1", "s1", "totp", "x", 5) == expected_proof(KEY, "u1", "s1", "totp", "x", 5)
