"""Which second factors a user has, in the order callers rely on."""

import pytest

from services.mfa.domain import model
from services.mfa.domain.errors import UserRequired


def test_no_factors_means_no_methods():
    assert model.enrolled_methods([]) == []


def test_each_method_once_in_a_stable_order():
    assert model.enrolled_methods(["recovery_code", "webauthn", "totp", "webauthn"]) == [
        "totp", "webauthn", "recovery_code"
    ]


def test_a_method_this_build_does_not_know_is_still_reported():
    assert model.enrolled_methods(["passkey-v2", "totp"]) == ["totp", "passkey-v2"]


def test_a_user_must_be_named():
    with pytest.raises(UserRequired):
        model.check_user_id("")
