"""The new-device check through the handlers, over SQLite migrated to head (migration 0006):
a TOTP or recovery-code step from an unknown IP is held until the mailed link is opened there."""

from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.store import now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.application import handlers, new_device, second_factor
from services.identity.domain import errors
from services.identity.tests.test_account_flows import deps as base_deps, log_in, register, stream_types

KEY = b"p" * 32


class OneFactor:
    async def methods_of(self, user_id):
        return ["totp"]


@pytest.fixture
async def deps(base_deps):
    return replace(base_deps, second_factors=OneFactor(), proof_key=KEY, new_device_tokens=SessionTokens(b"n" * 32))


__all__ = ["base_deps"]


def context(ip):
    return common_pb2.RequestContext(ip_address=ip, user_agent="tests")


async def second_step(deps, login, method="totp", ip="192.0.2.1"):
    issued = now_us()
    proof = second_factor.expected_proof(KEY, login.session.user.user_id, login.session.session_id, method, "", issued)
    request = identity_pb2.CompleteSecondFactorRequest(
        session_token=login.session_token, method=method, proof=proof, issued_at_us=issued, context=context(ip)
    )
    return await second_factor.complete_second_factor(deps, request)


async def confirm(deps, token, ip):
    request = identity_pb2.ConfirmNewDeviceLoginRequest(token=token, context=context(ip))
    return await new_device.confirm(deps, request)


async def test_the_registration_ip_is_known_so_the_first_login_is_not_held(deps):
    await register(deps, verified=True)
    session = await second_step(deps, await log_in(deps))
    assert session.second_factor_verified and not session.new_device_confirmation_pending


async def test_a_new_ip_is_held_until_the_link_is_opened_from_it(deps):
    user = await register(deps, verified=True)
    login = await log_in(deps, ip="198.51.100.7")
    held = await second_step(deps, login, ip="198.51.100.7")
    assert held.new_device_confirmation_pending and not held.second_factor_verified
    (to, subject, _), = deps.mailer.sent
    assert (to, subject) == ("ruth@example.org", "Confirm a login from a new device")
    token = deps.mailer.tokens()[-1]
    with pytest.raises(errors.NewDeviceIpMismatch):
        await confirm(deps, token, "203.0.113.9")
    assert not (await handlers.get_session(deps, identity_pb2.GetSessionRequest(session_token=login.session_token))
                ).second_factor_verified
    released = await confirm(deps, token, "198.51.100.7")
    assert released.second_factor_verified and released.second_factor_method == "totp"
    with pytest.raises(errors.NewDeviceLinkInvalid):  # single use
        await confirm(deps, token, "198.51.100.7")
    assert (await stream_types(deps, user.user_id))[-2:] == ["NewDeviceLoginHeld", "NewDeviceLoginConfirmed"]
    # The IP is known now: the next login from it is not held.
    assert (await second_step(deps, await log_in(deps, ip="198.51.100.7"), ip="198.51.100.7")).second_factor_verified


async def test_a_security_key_skips_the_check_and_the_check_can_be_turned_off(deps):
    await register(deps, verified=True)
    assert (await second_step(deps, await log_in(deps, ip="198.51.100.7"), "webauthn", "198.51.100.7")
            ).second_factor_verified
    off = replace(deps, new_device_check=False)
    assert (await second_step(off, await log_in(off, ip="198.51.100.8"), ip="198.51.100.8")).second_factor_verified
    assert deps.mailer.sent == []


async def test_resending_is_limited_and_voids_the_old_link(deps):
    await register(deps, verified=True)
    login = await log_in(deps, ip="198.51.100.7")
    await second_step(deps, login, ip="198.51.100.7")
    await second_step(deps, login, ip="198.51.100.7")  # asking again mails nothing more
    assert len(deps.mailer.sent) == 1
    resend = identity_pb2.ResendNewDeviceLoginRequest(session_token=login.session_token, context=context("198.51.100.7"))
    with pytest.raises(errors.RateLimited):
        await new_device.resend(deps, resend)


async def test_an_expired_link_does_not_release(deps, monkeypatch):
    await register(deps, verified=True)
    await second_step(deps, await log_in(deps, ip="198.51.100.7"), ip="198.51.100.7")
    monkeypatch.setattr(new_device, "now_us", lambda: now_us() + new_device.LINK_LIFETIME_US + 1)
    with pytest.raises(errors.NewDeviceLinkInvalid):
        await confirm(deps, deps.mailer.tokens()[-1], "198.51.100.7")
