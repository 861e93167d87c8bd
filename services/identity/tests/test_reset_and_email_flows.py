"""Password reset and several addresses per account through the handlers, over a real SQLite
database migrated to head (so migration 0004 runs), with a fake mailer."""

import asyncio
import dataclasses

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.application import email_verification, emails, handlers, password_change, password_reset
from services.identity.domain import errors
from services.identity.tests.test_account_flows import (  # noqa: F401 (deps is a fixture)
    CONTEXT,
    NEW_PASSWORD,
    PASSWORD,
    deps,
    log_in,
    register,
    stream_types,
)

OTHER_PASSWORD = "copper-willow-signal-37"


@pytest.fixture
def reset_deps(deps):  # noqa: F811
    return dataclasses.replace(deps, reset_tokens=SessionTokens(b"r" * 32))


async def ask(deps, ip="192.0.2.1", **names):
    context = common_pb2.RequestContext(ip_address=ip, user_agent="tests")
    await password_reset.request_reset(deps, identity_pb2.RequestPasswordResetRequest(context=context, **names))
    await asyncio.gather(*password_reset._sending)  # the mail goes out in the background


def reset_mails(deps):
    return [m for m in deps.mailer.sent if m[1] == "Reset your Gatehouse password"]


def reset_token(deps):
    return deps.mailer.tokens()[-1]


async def reset(deps, token, password=NEW_PASSWORD):
    return await password_reset.reset(deps, identity_pb2.ResetPasswordRequest(
        token=token, new_password=password, context=CONTEXT))


async def test_a_reset_link_sets_the_password_once_and_ends_every_session(reset_deps):
    user = await register(reset_deps, verified=True)
    first, second = await log_in(reset_deps), await log_in(reset_deps)
    await ask(reset_deps, username="RUTH")
    [(to, _, text)] = reset_mails(reset_deps)
    assert to == "ruth@example.org" and "https://index.example/account/reset-password?token=" in text
    with pytest.raises(errors.UnacceptablePassword):
        await reset(reset_deps, reset_token(reset_deps), "ruth1234")
    assert await reset(reset_deps, reset_token(reset_deps)) == 2
    for session in (first, second):
        with pytest.raises(errors.SessionInvalid):
            await handlers.get_session(reset_deps, identity_pb2.GetSessionRequest(session_token=session.session_token))
    await log_in(reset_deps, password=NEW_PASSWORD)
    with pytest.raises(errors.ResetLinkInvalid, match="already used"):
        await reset(reset_deps, reset_token(reset_deps), OTHER_PASSWORD)
    types = await stream_types(reset_deps, user.user_id)
    assert types[-5:] == ["PasswordResetRequested", "PasswordReset", "SessionEnded", "SessionEnded", "LoginSucceeded"]


async def test_unknown_accounts_answer_alike_and_get_no_mail(reset_deps):
    await register(reset_deps, verified=True)
    await ask(reset_deps, username="nobody")
    await ask(reset_deps, email="nobody@example.org")
    assert reset_mails(reset_deps) == []
    await ask(reset_deps, email="RUTH@example.org")
    assert len(reset_mails(reset_deps)) == 1


async def test_a_password_change_or_expiry_voids_a_link(reset_deps, monkeypatch):
    await register(reset_deps, verified=True)
    await ask(reset_deps, username="ruth")
    token = reset_token(reset_deps)
    session = await log_in(reset_deps)
    await password_change.change_password(reset_deps, identity_pb2.ChangePasswordRequest(
        session_token=session.session_token, current_password=PASSWORD, new_password=OTHER_PASSWORD))
    with pytest.raises(errors.ResetLinkInvalid):
        await reset(reset_deps, token)
    await ask(reset_deps, username="ruth")
    later = password_reset.now_us() + password_reset.password_reset.LINK_LIFETIME_US + 1
    monkeypatch.setattr(password_reset, "now_us", lambda: later)
    with pytest.raises(errors.ResetLinkInvalid, match="expired"):
        await reset(reset_deps, reset_token(reset_deps))
    with pytest.raises(errors.ResetLinkInvalid):
        await reset(reset_deps, token[:-2] + "xx")


async def test_five_links_a_day_per_user_then_silence_and_twenty_requests_per_ip(reset_deps):
    await register(reset_deps, verified=True)
    for _ in range(7):
        await ask(reset_deps, ip="198.51.100.1", username="ruth")
    assert len(reset_mails(reset_deps)) == 5
    for _ in range(13):
        await ask(reset_deps, ip="198.51.100.1", username="nobody")
    with pytest.raises(errors.RateLimited):
        await ask(reset_deps, ip="198.51.100.1", username="nobody")
    await ask(reset_deps, ip="198.51.100.2", username="nobody")  # another address is not limited


async def _verified_other_address(deps, session_token, email="ruth@work.example"):
    request = identity_pb2.AddEmailRequest(session_token=session_token, email=email, context=CONTEXT)
    added = await emails.add_email(deps, request)
    assert (added.email, added.verified) == (email, False)
    to, subject, text = deps.mailer.sent[-1]
    assert (to, subject) == (email, "Verify your e-mail address") and "did not add this address" in text
    _, verified = await email_verification.verify(deps, identity_pb2.VerifyEmailRequest(token=deps.mailer.tokens()[-1]))
    assert verified == email


async def test_addresses_are_added_verified_listed_and_removed(deps):  # noqa: F811
    await register(deps, verified=True)
    await register(deps, "sam", verified=True)
    token = (await log_in(deps)).session_token
    await _verified_other_address(deps, token)
    with pytest.raises(errors.EmailTaken, match="another account"):
        await emails.add_email(deps, identity_pb2.AddEmailRequest(session_token=token, email="sam@example.org"))
    with pytest.raises(errors.InvalidEmail):
        await emails.add_email(deps, identity_pb2.AddEmailRequest(session_token=token, email="not-an-address"))
    listed = await emails.list_emails(deps, identity_pb2.ListEmailsRequest(session_token=token))
    assert [(e.email, e.verified, e.primary) for e in listed] == [
        ("ruth@example.org", True, True), ("ruth@work.example", True, False)]
    with pytest.raises(errors.EmailIsPrimary):
        await emails.remove_email(deps, identity_pb2.RemoveEmailRequest(session_token=token, email="ruth@example.org"))
    await emails.remove_email(deps, identity_pb2.RemoveEmailRequest(session_token=token, email="ruth@work.example"))
    assert len(await emails.list_emails(deps, identity_pb2.ListEmailsRequest(session_token=token))) == 1
    # The address is free again, for any account.
    sam = (await log_in(deps, "sam")).session_token
    await emails.add_email(deps, identity_pb2.AddEmailRequest(session_token=sam, email="ruth@work.example"))


async def test_a_verified_address_becomes_primary(deps):  # noqa: F811
    user = await register(deps, verified=True)
    token = (await log_in(deps)).session_token
    unverified = identity_pb2.AddEmailRequest(session_token=token, email="ruth@home.example")
    await emails.add_email(deps, unverified)
    with pytest.raises(errors.EmailNotVerified):
        await emails.set_primary_email(deps, identity_pb2.SetPrimaryEmailRequest(session_token=token,
                                                                                 email="ruth@home.example"))
    await _verified_other_address(deps, token)
    changed = await emails.set_primary_email(deps, identity_pb2.SetPrimaryEmailRequest(
        session_token=token, email="ruth@work.example", context=CONTEXT))
    assert (changed.email, changed.email_verified) == ("ruth@work.example", True)
    listed = await emails.list_emails(deps, identity_pb2.ListEmailsRequest(session_token=token))
    assert [(e.email, e.primary) for e in listed] == [
        ("ruth@work.example", True), ("ruth@home.example", False), ("ruth@example.org", False)]
    assert (await stream_types(deps, user.user_id))[-1] == "EmailChanged"
    # The old primary address still names the account for a password reset.
    async with deps.units() as unit:
        from services.identity.adapters import repository
        assert (await repository.find_user_by_email(unit.connection, "ruth@example.org")).user_id == user.user_id
        assert await repository.find_user_by_email(unit.connection, "ruth@home.example") is None


async def test_an_address_added_by_another_account_meanwhile_is_refused_not_a_crash(deps, monkeypatch):  # noqa: F811
    from services.identity.adapters import repository

    await register(deps, verified=True)
    await register(deps, "sam", verified=True)
    sam = (await log_in(deps, "sam")).session_token
    await emails.add_email(deps, identity_pb2.AddEmailRequest(session_token=sam, email="shared@example.org"))
    ruth = (await log_in(deps)).session_token
    checks = []
    real_check = repository.email_in_use

    async def misses_it_once(connection, email):  # as if sam's row had not been committed yet
        checks.append(email)
        return len(checks) > 1 and await real_check(connection, email)

    monkeypatch.setattr(repository, "email_in_use", misses_it_once)
    with pytest.raises(errors.EmailTaken):
        await emails.add_email(deps, identity_pb2.AddEmailRequest(session_token=ruth, email="shared@example.org"))
    assert len(checks) == 2
