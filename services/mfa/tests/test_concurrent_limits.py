"""The second-step limits hold under a parallel burst: each attempt is counted (reserved) in one
serialised step with the check of the limit, before its code is checked."""

from __future__ import annotations

import asyncio

import pyotp
import pytest

from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.application import handlers
from services.mfa.application.verification import verify_second_factor
from services.mfa.domain.errors import InvalidTotp, RateLimited
from services.mfa.tests.conftest import CONTEXT
from services.mfa.tests.webauthn_helpers import confirm_recovery_codes, principal

ALICE = principal("alice")


async def enrol_totp(deps) -> str:
    await confirm_recovery_codes(deps, ALICE)
    begun = await handlers.begin_totp_enrolment(deps, mfa_pb2.BeginTotpEnrolmentRequest(user=ALICE, context=CONTEXT))
    code = pyotp.TOTP(begun.secret).at(deps.clock() - 30)
    await handlers.confirm_totp_enrolment(
        deps, mfa_pb2.ConfirmTotpEnrolmentRequest(user=ALICE, code=code, context=CONTEXT))
    return begun.secret


def totp_step(code: str) -> mfa_pb2.VerifySecondFactorRequest:
    return mfa_pb2.VerifySecondFactorRequest(user=ALICE, method="totp", code=code, session_id="s1", context=CONTEXT)


def wrong_code(secret: str, now: float) -> str:
    near = {pyotp.TOTP(secret).at(now + 30 * offset) for offset in range(-10, 11)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


async def test_twenty_parallel_wrong_codes_check_at_most_five(service):
    deps = service.deps
    secret = await enrol_totp(deps)
    wrong = wrong_code(secret, deps.clock())
    outcomes = await asyncio.gather(*(verify_second_factor(deps, totp_step(wrong)) for _ in range(20)),
                                    return_exceptions=True)
    kinds = [type(outcome).__name__ for outcome in outcomes]
    assert kinds.count("InvalidTotp") == 5 and kinds.count("RateLimited") == 15, kinds

    with pytest.raises(RateLimited) as limited:  # not even a right code is checked now
        await verify_second_factor(deps, totp_step(pyotp.TOTP(secret).at(deps.clock())))
    assert 0 < limited.value.retry_after_seconds <= 300


async def test_a_success_releases_its_reservation(service):
    deps, clock = service.deps, service.clock
    secret = await enrol_totp(deps)
    for _ in range(5):  # five successes in a row do not fill the five-failure window
        clock.now += 30
        await verify_second_factor(deps, totp_step(pyotp.TOTP(secret).at(clock.now)))
    clock.now += 30
    with pytest.raises(InvalidTotp):
        await verify_second_factor(deps, totp_step(wrong_code(secret, clock.now)))
    clock.now += 30
    accepted = await verify_second_factor(deps, totp_step(pyotp.TOTP(secret).at(clock.now)))
    assert accepted.method == "totp"
