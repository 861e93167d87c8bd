import asyncio

import sqlalchemy as sa
from prometheus_client import REGISTRY

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.messaging.lease import ProcessLease
from gatehouse.messaging.relay import OutboxRelay


class FlakyBroker:
    """Refuses the first `failures` publishes, then records what it receives."""

    def __init__(self, failures: int):
        self.failures = failures
        self.received: list[str] = []

    async def publish(self, envelope):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker down")
        self.received.append(envelope.event_id)


async def _record_many(units, count):
    recorded = []
    for index in range(count):
        async def handle(unit, index=index):
            return await unit.record(
                f"user-{index % 3}", None, [events.LoginSucceeded(user_id=str(index))],
                envelope_pb2.Actor(), envelope_pb2.Subjects(),
            )
        recorded += await units.run(handle)
    return [envelope.event_id for envelope in recorded]


async def test_relay_publishes_everything_in_order_despite_failures(units, engine, store):
    expected = await _record_many(units, 12)
    broker = FlakyBroker(failures=3)
    relay = OutboxRelay(engine, store, broker, ProcessLease(), batch_size=5, poll_interval=0.01)
    while await relay.relay_pending():
        pass
    assert broker.received == expected
    assert await relay.lag() == 0


async def test_relay_leaves_unacknowledged_events_in_the_outbox(units, engine, store):
    await _record_many(units, 3)

    class DeadBroker:
        async def publish(self, envelope):
            await relay.stop()  # the service shuts down while the broker is unreachable
            raise ConnectionError("broker down")

    relay = OutboxRelay(engine, store, DeadBroker(), ProcessLease(), poll_interval=0.01)
    assert await relay.relay_pending() == 0
    assert await relay.lag() == 3
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(sa.func.count()).select_from(store.events))).scalar() == 3


async def test_the_running_relay_reports_its_outbox_lag_while_the_broker_is_away(units, engine, store):
    def gauge() -> float | None:
        return REGISTRY.get_sample_value("gatehouse_outbox_lag_events", {"service": store.service})

    async def until(predicate) -> None:
        for _ in range(500):
            if predicate():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the gauge never showed it")

    await _record_many(units, 4)
    broker = FlakyBroker(failures=10**9)
    relay = OutboxRelay(engine, store, broker, ProcessLease(), poll_interval=0.01)
    running = asyncio.create_task(relay.run())
    await until(lambda: gauge() == 4)
    broker.failures = 0  # the broker is back
    await until(lambda: gauge() == 0)
    await relay.stop()
    await running
    assert len(broker.received) == 4
