"""Registration, e-mail verification, password change and login limits through the handlers,
over a real SQLite database migrated to head (so migration 0003 runs), with a fake mailer."""

import re

import pytest
from argon2 import PasswordHasher

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.breached_passwords import BundledPasswordList
from services.identity.adapters.passwords import Argon2Passwords
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.adapters.tables import store
from services.identity.application import email_verification, handlers, password_change
from services.identity.bootstrap import MIGRATIONS
from services.identity.domain import errors
from services.identity.domain.login_limits import LoginLimits

PASSWORD = "violet-lantern-harbour-91"
NEW_PASSWORD = "amber-falcon-meadow-64"
CONTEXT = common_pb2.RequestContext(ip_address="192.0.2.1", user_agent="tests")


class FakeMailer:
    def __init__(self):
        self.sent = []

    async def send(self, to, subject, text):
        self.sent.append((to, subject, text))

    def tokens(self):
        return [re.search(r"token=(\S+)", text).group(1) for _, _, text in self.sent]


class NoSecondFactor:
    async def methods_of(self, user_id):
        return []


@pytest.fixture
async def deps(tmp_path):
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    migrate(url, MIGRATIONS)
    engine = create_engine(url)
    yield handlers.Dependencies(
        units=UnitOfWorkFactory(engine, store, on_commit=lambda: None),
        passwords=Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)),
        session_tokens=SessionTokens(b"s" * 32), second_factors=NoSecondFactor(),
        verification_tokens=SessionTokens(b"v" * 32), mailer=FakeMailer(), origin="https://index.example",
        breached_passwords=BundledPasswordList(lambda: frozenset({"correcthorsebatterystaple"})), prohibited_usernames=frozenset({"admin"}),
        login_limits=LoginLimits(per_user=3, per_ip=5, global_=100, window_seconds=300),
    )
    await engine.dispose()


async def register(deps, username="ruth", verified=False, password=PASSWORD):
    return await handlers.create_user(deps, identity_pb2.CreateUserRequest(
        username=username, email=f"{username}@example.org", email_verified=verified, password=password,
        context=CONTEXT))


async def log_in(deps, username="ruth", password=PASSWORD, ip="192.0.2.1"):
    context = common_pb2.RequestContext(ip_address=ip, user_agent="tests")
    return await handlers.login(deps, identity_pb2.LoginRequest(username=username, password=password, context=context))


async def stream_types(deps, user_id):
    async with deps.units() as unit:
        return [type(event).__name__ for event in await unit.load(f"user-{user_id}")]


async def test_registration_mails_a_link_to_the_origin_and_an_operators_verified_user_gets_none(deps):
    user = await register(deps)
    assert not user.email_verified
    [(to, subject, text)] = deps.mailer.sent
    assert (to, subject) == ("ruth@example.org", "Verify your e-mail address")
    assert "https://index.example/account/verify-email?token=" in text
    await register(deps, "operated", verified=True)
    assert len(deps.mailer.sent) == 1


async def test_prohibited_names_and_common_passwords_are_refused(deps):
    with pytest.raises(errors.UsernameProhibited):
        await register(deps, "Admin")
    with pytest.raises(errors.UnacceptablePassword, match="common or breached"):
        await register(deps, password="CorrectHorseBatteryStaple")
    assert deps.mailer.sent == []


async def test_the_link_verifies_once_and_records_email_verified(deps):
    user = await register(deps)
    [token] = deps.mailer.tokens()
    verified, email = await email_verification.verify(deps, identity_pb2.VerifyEmailRequest(token=token, context=CONTEXT))
    assert verified.email_verified and email == "ruth@example.org"
    assert (await handlers.get_user(deps, identity_pb2.GetUserRequest(user_id=user.user_id))).email_verified
    assert await stream_types(deps, user.user_id) == ["UserCreated", "EmailVerified"]
    with pytest.raises(errors.VerificationLinkInvalid):
        await email_verification.verify(deps, identity_pb2.VerifyEmailRequest(token=token, context=CONTEXT))


async def test_a_forged_or_expired_link_is_refused(deps, monkeypatch):
    await register(deps)
    [token] = deps.mailer.tokens()
    with pytest.raises(errors.VerificationLinkInvalid):
        await email_verification.verify(deps, identity_pb2.VerifyEmailRequest(token=token[:-2] + "xx"))
    later = email_verification.now_us() + email_verification.LINK_LIFETIME_US + 1
    monkeypatch.setattr(email_verification, "now_us", lambda: later)
    with pytest.raises(errors.VerificationLinkInvalid, match="expired"):
        await email_verification.verify(deps, identity_pb2.VerifyEmailRequest(token=token))


async def test_resending_is_limited_to_three_an_hour_and_refused_once_verified(deps):
    await register(deps)
    session_token = (await log_in(deps)).session_token
    request = identity_pb2.ResendEmailVerificationRequest(session_token=session_token, context=CONTEXT)
    for _ in range(3):
        assert await email_verification.resend(deps, request) == "ruth@example.org"
    with pytest.raises(errors.RateLimited) as limited:
        await email_verification.resend(deps, request)
    assert 3590 <= limited.value.retry_after_seconds <= 3600
    await email_verification.verify(deps, identity_pb2.VerifyEmailRequest(token=deps.mailer.tokens()[-1]))
    with pytest.raises(errors.EmailAlreadyVerified):
        await email_verification.resend(deps, request)


async def test_changing_the_password_ends_other_sessions_only(deps):
    user = await register(deps, verified=True)
    here, there = (await log_in(deps)).session_token, (await log_in(deps)).session_token
    change = identity_pb2.ChangePasswordRequest(session_token=here, current_password=PASSWORD,
                                                new_password=NEW_PASSWORD, context=CONTEXT)
    assert await password_change.change_password(deps, change) == 1
    await handlers.get_session(deps, identity_pb2.GetSessionRequest(session_token=here))
    with pytest.raises(errors.SessionInvalid):
        await handlers.get_session(deps, identity_pb2.GetSessionRequest(session_token=there))
    with pytest.raises(errors.InvalidCredentials):
        await log_in(deps, password=PASSWORD)
    await log_in(deps, password=NEW_PASSWORD)
    async with deps.units() as unit:
        changed = [e for e in await unit.load(f"user-{user.user_id}") if isinstance(e, events.PasswordChanged)]
    assert changed == [events.PasswordChanged(user_id=user.user_id, sessions_ended=1)]


@pytest.mark.parametrize("current, new, error", [
    ("wrong-password-entirely", NEW_PASSWORD, errors.WrongPassword),
    (PASSWORD, "ruth12345", errors.UnacceptablePassword),
    (PASSWORD, PASSWORD, errors.UnacceptablePassword),
])
async def test_a_password_change_needs_the_current_password_and_a_good_new_one(deps, current, new, error):
    await register(deps, verified=True)
    here = (await log_in(deps)).session_token
    with pytest.raises(error):
        await password_change.change_password(deps, identity_pb2.ChangePasswordRequest(
            session_token=here, current_password=current, new_password=new, context=CONTEXT))
    await log_in(deps, password=PASSWORD)  # unchanged


async def test_failed_logins_limit_the_user_then_the_address(deps):
    await register(deps, verified=True)
    await register(deps, "sam", verified=True)
    for _ in range(3):
        with pytest.raises(errors.InvalidCredentials):
            await log_in(deps, password="not-the-password")
    with pytest.raises(errors.RateLimited, match="this account"):
        await log_in(deps)  # the right password waits too
    await log_in(deps, "sam", ip="198.51.100.7")
    for number in range(2):
        with pytest.raises(errors.InvalidCredentials):
            await log_in(deps, f"ghost{number}", password="not-the-password")
    with pytest.raises(errors.RateLimited, match="network address"):
        await log_in(deps, "sam")
    await log_in(deps, "sam", ip="198.51.100.7")
