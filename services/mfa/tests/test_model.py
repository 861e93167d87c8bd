"""Second factors of a user: given events, when a command, then events (or an error)."""

import base64

import pytest

from gatehouse.events.v1 import mfa_pb2 as events
from services.mfa.domain import model, recovery_codes
from services.mfa.domain.errors import EmailNotVerified, LastMethod, RecoveryCodesNotConfirmed, UserRequired

GENERATED = events.RecoveryCodesGenerated(user_id="u", count=8)
CONFIRMED = events.RecoveryCodesConfirmed(user_id="u", remaining=7)
TOTP_ADDED = events.SecondFactorAdded(user_id="u", factor_id="f1", method="totp", label="Authenticator app",
                                      totp_step=100)


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


def test_first_codes_are_generated_then_regenerated():
    assert model.generate_recovery_codes(model.fold([]), "u", True, 8) == [GENERATED]
    again = model.generate_recovery_codes(model.fold([GENERATED, CONFIRMED]), "u", True, 8)
    assert again == [events.RecoveryCodesRegenerated(user_id="u", count=8)]


def test_a_new_set_must_be_confirmed_again():
    state = model.fold([GENERATED, CONFIRMED, events.RecoveryCodesRegenerated(user_id="u", count=8)])
    assert not state.recovery_codes_confirmed


def test_an_unverified_email_cannot_set_up_2fa():
    with pytest.raises(EmailNotVerified):
        model.generate_recovery_codes(model.fold([]), "u", False, 8)
    with pytest.raises(EmailNotVerified):
        model.check_may_add_method(model.fold([GENERATED, CONFIRMED]), False)


def test_totp_needs_a_burned_recovery_code_first():
    with pytest.raises(RecoveryCodesNotConfirmed):
        model.check_may_add_method(model.fold([GENERATED]), True)
    model.check_may_add_method(model.fold([GENERATED, CONFIRMED]), True)


def test_enrolling_totp_remembers_the_step_and_a_new_app_replaces_the_old():
    state = model.fold([GENERATED, CONFIRMED, TOTP_ADDED])
    assert state.totp_factor_id == "f1" and state.last_totp_step == 100
    removed, added = model.add_totp(state, "u", "f2", 200)
    assert removed.factor_id == "f1" and added.factor_id == "f2" and added.totp_step == 200


def test_an_accepted_login_step_moves_the_last_step_forward():
    accepted = events.SecondFactorAccepted(user_id="u", method="totp", totp_step=150)
    assert model.fold([TOTP_ADDED, accepted]).last_totp_step == 150


def test_the_last_method_cannot_be_removed_while_2fa_is_required():
    state = model.fold([GENERATED, CONFIRMED, TOTP_ADDED])
    with pytest.raises(LastMethod):
        model.remove_totp(state, "u", other_methods=0, second_factor_required=True)
    assert model.remove_totp(state, "u", other_methods=0, second_factor_required=False)[0].factor_id == "f1"


def test_recovery_codes_are_eight_distinct_codes_of_at_least_64_bits():
    codes = recovery_codes.new_codes()
    assert len(codes) == 8 and len(set(codes)) == 8
    for code in codes:
        assert len(base64.b32decode(recovery_codes.normalized(code).upper())) * 8 >= 64


def test_recovery_codes_are_read_in_any_case_with_or_without_dashes():
    assert recovery_codes.normalized(" ABCD-efgh ijkl-MNOP ") == "abcdefghijklmnop"
