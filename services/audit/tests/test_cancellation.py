import asyncio

import pytest

from services.audit.application.handlers import uncancelled


async def test_a_cancelled_caller_does_not_interrupt_the_database_work():
    finished = asyncio.Event()

    async def database_work():
        await asyncio.sleep(0.05)
        finished.set()
        return 1

    caller = asyncio.ensure_future(uncancelled(database_work()))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait_for(finished.wait(), timeout=1)


async def test_the_result_comes_through_when_nothing_is_cancelled():
    async def database_work():
        return 42

    assert await uncancelled(database_work()) == 42
