import pytest

from gatehouse.events.v1 import identity_pb2 as events
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.domain import model, password_rules
from services.identity.domain.errors import AccountLocked, InvalidUsername, UnacceptablePassword


@pytest.mark.parametrize("name", ["alice", "a", "A.b-c_d", "x" * 50, "9lives"])
def test_pypi_style_usernames_are_accepted(name):
    model.check_username(name)


@pytest.mark.parametrize("name", ["", "-alice", "alice-", "al ice", "al/ice", "x" * 51, "álice"])
def test_other_usernames_are_refused(name):
    with pytest.raises(InvalidUsername):
        model.check_username(name)


def test_password_length_bounds():
    password_rules.check_length("8chars!!")
    for bad in ("short", "x" * 4097):
        with pytest.raises(UnacceptablePassword):
            password_rules.check_length(bad)


def test_given_nothing_when_create_then_user_created():
    command = model.CreateUser("u1", "alice", "alice@example.org", True, "operator")
    assert model.create(command) == [
        events.UserCreated(user_id="u1", username="alice", email="alice@example.org", email_verified=True, created_by="operator")
    ]


def test_given_a_user_when_the_password_matches_then_login_succeeds():
    state = model.fold([events.UserCreated(user_id="u1", username="alice")])
    assert state.version == 1
    assert model.login(state, True, "s1", []) == [
        events.LoginSucceeded(user_id="u1", session_id="s1", second_factor_required=False)
    ]
    assert model.login(state, True, "s1", ["totp"])[0].second_factor_required


def test_given_a_user_when_the_password_is_wrong_then_login_failed_is_recorded():
    state = model.fold([events.UserCreated(user_id="u1", username="alice"), events.LoginSucceeded(user_id="u1")])
    assert state.version == 2
    assert model.login(state, False, "s1", []) == [
        events.LoginFailed(username="alice", user_id="u1", reason="invalid_password")
    ]


def test_a_locked_account_cannot_log_in():
    state = model.UserState("u1", "alice", "locked", 3)
    with pytest.raises(AccountLocked):
        model.login(state, True, "s1", [])


def test_session_tokens_refuse_forgeries():
    tokens = SessionTokens(b"k" * 32)
    token = tokens.mint()
    assert tokens.id_hash(token) is not None
    raw, _, signature = token.partition(".")
    assert tokens.id_hash(raw + "." + signature[:-1] + ("A" if signature[-1] != "A" else "B")) is None
    assert tokens.id_hash(raw) is None
    assert SessionTokens(b"z" * 32).id_hash(token) is None


def test_given_an_unverified_user_when_verify_email_then_email_verified():
    created = events.UserCreated(user_id="u1", username="ruth", email="ruth@example.org", email_verified=False)
    state = model.fold([created])
    assert (state.email, state.email_verified, state.version) == ("ruth@example.org", False, 1)
    assert model.verify_email(state, "ruth@example.org") == [events.EmailVerified(user_id="u1", email="ruth@example.org")]


@pytest.mark.parametrize("history, address", [
    ([events.UserCreated(user_id="u1", email="ruth@example.org", email_verified=True)], "ruth@example.org"),
    ([events.UserCreated(user_id="u1", email="ruth@example.org"),
      events.EmailVerified(user_id="u1", email="ruth@example.org")], "ruth@example.org"),
    ([events.UserCreated(user_id="u1", email="ruth@example.org")], "old@example.org"),
])
def test_given_a_verified_or_other_address_when_verify_email_then_refused(history, address):
    from services.identity.domain.errors import EmailAlreadyVerified

    with pytest.raises(EmailAlreadyVerified):
        model.verify_email(model.fold(history), address)


def test_prohibited_usernames_are_compared_case_insensitively():
    from services.identity.domain.errors import UsernameProhibited

    model.check_username_allowed("alice", frozenset({"admin"}))
    with pytest.raises(UsernameProhibited):
        model.check_username_allowed("ADMIN", frozenset({"admin"}))
