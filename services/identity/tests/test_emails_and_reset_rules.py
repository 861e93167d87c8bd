"""Several addresses per account and password reset limits: the pure rules."""

import pytest

from gatehouse.events.v1 import identity_pb2 as events
from services.identity.domain import model, password_reset
from services.identity.domain.errors import (
    EmailAlreadyVerified,
    EmailIsPrimary,
    EmailNotFound,
    EmailNotVerified,
    EmailTaken,
    RateLimited,
    TooManyEmails,
)

HOUR = 3600 * 1_000_000


def _state(*extra) -> model.UserState:
    created = events.UserCreated(user_id="u1", username="ann", email="ann@example.org", email_verified=True)
    return model.fold([created, *extra])


def test_an_added_address_is_unverified_until_its_link_is_used():
    state = _state(*model.add_email(_state(), "ann@work.example"))
    assert state.other_emails == (("ann@work.example", False),)
    assert model.verify_email(state, "ann@work.example") == [events.EmailVerified(user_id="u1", email="ann@work.example")]
    verified = model.fold([*_history(), events.EmailVerified(user_id="u1", email="ann@work.example")])
    assert verified.other_emails == (("ann@work.example", True),)
    with pytest.raises(EmailAlreadyVerified):
        model.verify_email(verified, "ann@work.example")


def _history():
    return [events.UserCreated(user_id="u1", username="ann", email="ann@example.org", email_verified=True),
            events.EmailAdded(user_id="u1", email="ann@work.example")]


def test_an_address_already_on_the_account_or_one_too_many_is_refused():
    with pytest.raises(EmailTaken):
        model.add_email(_state(), "ANN@example.org")
    with pytest.raises(EmailTaken):
        model.add_email(model.fold(_history()), "ann@work.example")
    full = _state(*(events.EmailAdded(user_id="u1", email=f"a{i}@example.org") for i in range(model.MAX_OTHER_EMAILS)))
    with pytest.raises(TooManyEmails):
        model.add_email(full, "one-more@example.org")


def test_the_primary_cannot_be_removed_and_an_unknown_address_is_not_found():
    with pytest.raises(EmailIsPrimary):
        model.remove_email(_state(), "ann@example.org")
    with pytest.raises(EmailNotFound):
        model.remove_email(_state(), "bob@example.org")
    state = model.fold(_history())
    [removed] = model.remove_email(state, "Ann@Work.example")
    assert removed == events.EmailRemoved(user_id="u1", email="ann@work.example")
    assert model.fold([*_history(), removed]).other_emails == ()


def test_only_a_verified_other_address_becomes_primary_and_the_old_one_stays():
    with pytest.raises(EmailNotVerified):
        model.set_primary_email(model.fold(_history()), "ann@work.example")
    with pytest.raises(EmailNotFound):
        model.set_primary_email(_state(), "ann@example.org")
    history = [*_history(), events.EmailVerified(user_id="u1", email="ann@work.example")]
    [changed] = model.set_primary_email(model.fold(history), "ann@work.example")
    assert changed == events.EmailChanged(user_id="u1", old_email="ann@example.org", new_email="ann@work.example")
    after = model.fold([*history, changed])
    assert (after.email, after.email_verified, after.other_emails) == (
        "ann@work.example", True, (("ann@example.org", True),))


def test_five_links_a_day_are_mailed_then_none_until_the_oldest_is_a_day_old():
    now = 100 * 24 * HOUR
    four = [now - i * HOUR for i in range(4)]
    assert password_reset.may_mail(four, now)
    five = [*four, now - 23 * HOUR]
    assert not password_reset.may_mail(five, now)
    assert password_reset.may_mail(five, now + HOUR + 1)


def test_twenty_requests_an_hour_from_one_address_are_refused_with_the_wait():
    now = 100 * HOUR
    password_reset.check_ip_limit([now - i for i in range(19)], now)
    times = [now - 10 * 60 * 1_000_000, *(now for _ in range(19))]
    with pytest.raises(RateLimited) as limited:
        password_reset.check_ip_limit(times, now)
    assert limited.value.retry_after_seconds == 50 * 60


def test_a_fingerprint_changes_with_the_hash():
    assert password_reset.same_fingerprint(password_reset.fingerprint("h1"), password_reset.fingerprint("h1"))
    assert not password_reset.same_fingerprint(password_reset.fingerprint("h1"), password_reset.fingerprint("h2"))
