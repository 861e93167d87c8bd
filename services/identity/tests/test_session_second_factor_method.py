"""A session remembers which second factor its second step used (project policies read it),
over a real SQLite database migrated to head (so migration 0002 runs)."""

import time

import pytest
from argon2 import PasswordHasher

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.passwords import Argon2Passwords
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.adapters.tables import store
from services.identity.application import handlers
from services.identity.application.second_factor import complete_second_factor, expected_proof
from services.identity.bootstrap import MIGRATIONS

KEY = b"p" * 32
PASSWORD = "a-long-enough-passphrase"
CONTEXT = common_pb2.RequestContext(ip_address="192.0.2.1", user_agent="tests")


class WithTotp:
    async def methods_of(self, user_id):
        return ["totp", "recovery_code"]


@pytest.fixture
async def deps(tmp_path):
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    migrate(url, MIGRATIONS)
    engine = create_engine(url)
    yield handlers.Dependencies(
        units=UnitOfWorkFactory(engine, store, on_commit=lambda: None),
        passwords=Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)),
        session_tokens=SessionTokens(b"s" * 32), second_factors=WithTotp(), proof_key=KEY,
    )
    await engine.dispose()


@pytest.mark.parametrize("method", ["totp", "recovery_code", "webauthn"])
async def test_the_second_step_method_is_stored_and_answered_by_get_session(deps, method):
    await handlers.create_user(deps, identity_pb2.CreateUserRequest(
        username="ann", email="ann@example.org", email_verified=True, password=PASSWORD, context=CONTEXT))
    login = await handlers.login(deps, identity_pb2.LoginRequest(username="ann", password=PASSWORD, context=CONTEXT))
    assert login.session.second_factor_method == ""
    issued = time.time_ns() // 1000
    proof = expected_proof(KEY, login.session.user.user_id, login.session.session_id, method, "", issued)
    done = await complete_second_factor(deps, identity_pb2.CompleteSecondFactorRequest(
        session_token=login.session_token, method=method, proof=proof, issued_at_us=issued, context=CONTEXT))
    assert done.second_factor_method == method
    again = await handlers.get_session(deps, identity_pb2.GetSessionRequest(session_token=login.session_token))
    assert (again.second_factor_verified, again.second_factor_method) == (True, method)
