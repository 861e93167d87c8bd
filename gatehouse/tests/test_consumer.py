from gatehouse.events.v1 import envelope_pb2
from gatehouse.messaging.consumer import DurableConsumer


class Message:
    def __init__(self, envelope):
        self.data = envelope.SerializeToString()
        self.subject = "gatehouse.events.identity.UserCreated"
        self.acked = 0
        self.naked = 0

    async def ack(self):
        self.acked += 1

    async def nak(self, delay=None):
        self.naked += 1


async def test_redelivered_events_are_handled_once(engine, store):
    seen = []

    async def handler(connection, envelope):
        seen.append(envelope.event_id)

    consumer = DurableConsumer(None, engine, store, "test-consumer", handler, stream="S")
    first = Message(envelope_pb2.EventEnvelope(event_id="e1", type="UserCreated"))
    second = Message(envelope_pb2.EventEnvelope(event_id="e2", type="UserCreated"))
    await consumer._handle_batch([first, second])
    await consumer._handle_batch([Message(envelope_pb2.EventEnvelope(event_id="e1", type="UserCreated"))])
    assert seen == ["e1", "e2"]
    assert first.acked == second.acked == 1


async def test_a_failing_event_is_retried_later_without_holding_back_the_rest(engine, store):
    seen = []

    async def handler(connection, envelope):
        if envelope.event_id == "bad":
            raise ValueError("cannot project this one")
        seen.append(envelope.event_id)

    consumer = DurableConsumer(None, engine, store, "test-consumer", handler, stream="S")
    good, bad = Message(envelope_pb2.EventEnvelope(event_id="good")), Message(envelope_pb2.EventEnvelope(event_id="bad"))
    await consumer._handle_batch([bad, good])
    assert seen == ["good"]
    assert (good.acked, bad.acked, bad.naked) == (1, 0, 1)


class Subscription:
    """Hands out prepared batches; the consumer is told to stop while handling the first."""

    def __init__(self, consumer_box, batches):
        self._box = consumer_box
        self._batches = list(batches)
        self.fetches = 0

    async def fetch(self, batch, timeout):
        self.fetches += 1
        if self.fetches == 2:  # fetched while the first batch is being handled
            await self._box[0].stop()
        return self._batches.pop(0) if self._batches else []


async def test_the_next_batch_is_fetched_during_handling_and_given_back_on_stop(engine, store):
    seen = []

    async def handler(connection, envelope):
        seen.append(envelope.event_id)

    consumer = DurableConsumer(None, engine, store, "test-consumer", handler, stream="S")
    first = [Message(envelope_pb2.EventEnvelope(event_id=f"a{n}")) for n in range(3)]
    second = [Message(envelope_pb2.EventEnvelope(event_id=f"b{n}")) for n in range(3)]
    subscription = Subscription([consumer], [first, second])
    await consumer._consume(subscription)
    assert seen == ["a0", "a1", "a2"] and subscription.fetches == 2
    assert [(m.acked, m.naked) for m in first] == [(1, 0)] * 3
    assert [(m.acked, m.naked) for m in second] == [(0, 1)] * 3  # redelivered now, not after ack_wait
