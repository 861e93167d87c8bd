"""The verification hot path: short-lived memory of verified tokens and batched last uses."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.tokens.adapters.hot_path import KnownPresentation, UseRecorder, VerifiedTokens
from services.tokens.adapters.repository import add_token
from services.tokens.adapters.tables import metadata, tokens
from services.tokens.domain.model import TokenState

SECRET = "gatehouse-AgEsecret"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def remembered(single_use: bool = False, ttl: float = 2.0):
    clock = Clock()
    memory = VerifiedTokens(ttl_seconds=ttl, clock=clock)
    row = SimpleNamespace(token_id="t1")
    state = TokenState(token_id="t1", single_use=single_use, version=1)
    memory.remember(row, state, KnownPresentation("t1", (), (), None), SECRET, memory.epoch)
    return memory, clock


def test_a_verified_secret_is_known_until_its_time_to_live_ends():
    memory, clock = remembered()
    assert memory.presentation(SECRET) is not None
    assert memory.presentation(SECRET + "x") is None
    clock.now += 2.0
    assert memory.presentation(SECRET) is None


def test_forgetting_a_token_forgets_its_presentations_at_once():
    memory, _ = remembered()
    memory.forget("t1")
    assert memory.presentation(SECRET) is None


def test_a_verification_older_than_a_forget_is_not_remembered():
    memory = VerifiedTokens()
    before = memory.epoch
    memory.forget("t1")  # a revocation committed while the verification was reading
    state = TokenState(token_id="t1", version=1)
    memory.remember(SimpleNamespace(token_id="t1"), state, KnownPresentation("t1", (), (), None), SECRET, before)
    assert memory.presentation(SECRET) is None


def test_single_use_tokens_are_never_remembered():
    memory, _ = remembered(single_use=True)
    assert memory.presentation(SECRET) is None


def test_a_zero_time_to_live_remembers_nothing():
    memory, _ = remembered(ttl=0)
    assert memory.presentation(SECRET) is None


def test_the_memory_holds_no_secret():
    memory, _ = remembered()
    assert SECRET not in repr(vars(memory))


async def test_last_uses_are_written_in_one_batch_newest_first_wins(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'tokens.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await add_token(connection, token_id="t1", user_id="u", username="a", name="ci", caveats_json="[]",
                        created_at_us=1, expires_at_us=0)
    uses = UseRecorder(engine)
    uses.record("t1", 10, "10.0.0.1")
    uses.record("t1", 20, "10.0.0.2")
    await uses.flush()
    uses.record("t1", 15, "10.0.0.3")  # older than what is stored: ignored
    await uses.flush()
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(tokens))).one()
    await engine.dispose()
    assert (row.last_used_at_us, row.last_used_ip) == (20, "10.0.0.2")
