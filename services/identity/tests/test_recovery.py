"""Account recovery through the handlers, over SQLite migrated to head, with a fake mailer and a
fake mfa: mails to every address, cancel links, the waiting period and completion."""

from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.store import now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.application import emails, recovery, recovery_completion
from services.identity.domain import errors
from services.identity.tests.test_account_flows import CONTEXT, deps as base_deps, log_in, register, stream_types

__all__ = ["base_deps"]
OPERATOR = common_pb2.Principal(operator=True)


class FakeMfa:
    def __init__(self):
        self.reset_calls = []

    async def methods_of(self, user_id):
        return []

    async def reset(self, user_id, context):
        self.reset_calls.append(user_id)
        return 2


@pytest.fixture
async def deps(base_deps):
    return replace(base_deps, second_factors=FakeMfa(), recovery_tokens=SessionTokens(b"r" * 32),
                   recovery_wait_us=3_600_000_000)


async def start(deps, username="ruth", actor=OPERATOR):
    return await recovery.start(deps, identity_pb2.StartRecoveryRequest(username=username, context=CONTEXT, actor=actor))


def link(deps, subject, to=None):
    text = next(text for address, sent, text in reversed(deps.mailer.sent) if sent == subject and to in (None, address))
    return text.split("token=")[1].split()[0]


async def with_second_address(deps):
    user = await register(deps, verified=True)
    login = await log_in(deps)
    await emails.add_email(deps, identity_pb2.AddEmailRequest(session_token=login.session_token,
                                                              email="ruth@other.example", context=CONTEXT))
    deps.mailer.sent.clear()
    return user, login


async def test_start_mails_the_identity_link_and_a_cancel_link_to_every_address(deps):
    await with_second_address(deps)
    started = await start(deps)
    assert (started.identity_email, list(started.notified_emails)) == (
        "ruth@example.org", ["ruth@example.org", "ruth@other.example"])
    subjects = sorted((to, subject) for to, subject, _ in deps.mailer.sent)
    assert subjects == [("ruth@example.org", "Account recovery started"),
                        ("ruth@example.org", "Confirm your account recovery"),
                        ("ruth@other.example", "Account recovery started")]
    with pytest.raises(errors.RecoveryInProgress):
        await start(deps)
    with pytest.raises(errors.OperatorRequired):
        await start(deps, actor=common_pb2.Principal(user_id="x"))


async def test_an_unverified_only_account_cannot_be_recovered(deps):
    await register(deps)
    with pytest.raises(errors.NoVerifiedEmail):
        await start(deps)


async def test_a_cancel_link_ends_the_recovery_and_its_links(deps):
    user, _ = await with_second_address(deps)
    await start(deps)
    cancel_token = link(deps, "Account recovery started", "ruth@other.example")
    identity_token = link(deps, "Confirm your account recovery")
    cancelled = await recovery.cancel(deps, identity_pb2.CancelRecoveryRequest(token=cancel_token, context=CONTEXT))
    assert cancelled.state == "cancelled"
    with pytest.raises(errors.RecoveryLinkInvalid):
        await recovery.confirm(deps, identity_pb2.ConfirmRecoveryRequest(token=identity_token, context=CONTEXT))
    assert (await stream_types(deps, user.user_id))[-2:] == ["RecoveryStarted", "RecoveryCancelled"]


async def test_after_the_wait_the_factors_go_and_sessions_end(deps, monkeypatch):
    user, login = await with_second_address(deps)
    await start(deps)
    confirmed = await recovery.confirm(deps, identity_pb2.ConfirmRecoveryRequest(
        token=link(deps, "Confirm your account recovery"), context=CONTEXT))
    assert confirmed.state == "confirmed" and confirmed.due_at_us > now_us()
    assert await recovery_completion.complete_due(deps) == 0  # not due yet
    session = await recovery.get(deps, identity_pb2.GetRecoveryRequest(session_token=login.session_token))
    assert session.state == "confirmed"
    later = now_us() + deps.recovery_wait_us + 1
    monkeypatch.setattr(recovery_completion, "now_us", lambda: later)
    assert await recovery_completion.complete_due(deps) == 1
    assert deps.second_factors.reset_calls == [user.user_id]
    assert await recovery_completion.complete_due(deps) == 0
    types = await stream_types(deps, user.user_id)
    assert types[-4:] == ["RecoveryStarted", "RecoveryConfirmed", "RecoveryCompleted", "SessionEnded"]
    completed = [to for to, subject, _ in deps.mailer.sent if subject == "Account recovery completed"]
    assert completed == ["ruth@example.org", "ruth@other.example"]
    with pytest.raises(errors.SessionInvalid):
        await recovery.get(deps, identity_pb2.GetRecoveryRequest(session_token=login.session_token))


async def test_the_logged_in_user_can_cancel_from_their_session(deps):
    _, login = await with_second_address(deps)
    await start(deps)
    cancelled = await recovery.cancel(deps, identity_pb2.CancelRecoveryRequest(session_token=login.session_token))
    assert cancelled.state == "cancelled"
    with pytest.raises(errors.NoRecoveryInProgress):
        await recovery.cancel(deps, identity_pb2.CancelRecoveryRequest(session_token=login.session_token))


async def test_the_scheduler_survives_a_failing_look_and_stops(deps, monkeypatch):
    import asyncio

    looks = []

    async def flaky(_deps):
        looks.append(1)
        if len(looks) == 1:
            raise RuntimeError("mfa is down")
        return 0

    monkeypatch.setattr(recovery_completion, "complete_due", flaky)
    scheduler = recovery_completion.RecoveryScheduler(deps, interval=0.01)
    task = asyncio.create_task(scheduler.run())
    while len(looks) < 3:
        await asyncio.sleep(0.01)
    await scheduler.stop()
    await asyncio.wait_for(task, 5)
