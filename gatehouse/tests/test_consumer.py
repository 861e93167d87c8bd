from nats.aio.msg import Msg
from prometheus_client import REGISTRY

from gatehouse.events.v1 import envelope_pb2
from gatehouse.messaging.consumer import DurableConsumer, _pending_after


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


async def test_the_handled_counter_counts_each_event_once_after_its_commit(engine, store):
    async def handler(connection, envelope):
        if envelope.event_id == "bad":
            raise ValueError("cannot project this one")

    def counted() -> float:
        return REGISTRY.get_sample_value("gatehouse_consumer_handled_events_total", {"consumer": "counting-consumer"})

    consumer = DurableConsumer(None, engine, store, "counting-consumer", handler, stream="S")
    events = [Message(envelope_pb2.EventEnvelope(event_id=name)) for name in ("one", "bad", "two")]
    await consumer._handle_batch(events)  # the batch rolls back, then goes one at a time
    await consumer._handle_batch([Message(envelope_pb2.EventEnvelope(event_id="one"))])  # a redelivery
    assert counted() == consumer.handled == 2


class LostSubscription:
    """A pull subscription whose server went away: every fetch fails."""

    def __init__(self):
        self.unsubscribed = False

    async def fetch(self, batch, timeout):
        raise ConnectionError("nats: unexpected EOF")

    async def unsubscribe(self):
        self.unsubscribed = True


class StoppingSubscription(LostSubscription):
    def __init__(self, consumer):
        super().__init__()
        self._consumer = consumer

    async def fetch(self, batch, timeout):
        await self._consumer.stop()
        return []


class FakeJetStream:
    def __init__(self, subscriptions):
        self._subscriptions = subscriptions

    async def add_stream(self, config):
        return None

    async def pull_subscribe(self, subject, **options):
        return self._subscriptions.pop(0)


class FakeConnection:
    def __init__(self, subscriptions):
        self._js = FakeJetStream(subscriptions)

    def jetstream(self, timeout):
        return self._js


async def test_a_lost_subscription_is_dropped_before_subscribing_again(engine, store):
    lost = LostSubscription()
    subscriptions = [lost]
    consumer = DurableConsumer(FakeConnection(subscriptions), engine, store, "test-consumer", None, stream="S")
    subscriptions.append(StoppingSubscription(consumer))
    await consumer.run()
    # Left registered, it would hold the connection's drain() until its timeout at shutdown.
    assert lost.unsubscribed and subscriptions == []


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


def test_the_pending_count_after_a_fetch_comes_from_the_last_messages_reply_subject():
    def message(pending: int) -> Msg:
        return Msg(None, subject="gatehouse.events.x.Y", data=b"",
                   reply=f"$JS.ACK.GATEHOUSE_EVENTS.audit.1.{10 - pending}.{10 - pending}.1700000000000000000.{pending}")

    assert _pending_after([message(7), message(6)]) == 6
    assert _pending_after([]) == 0
    assert _pending_after([Msg(None, subject="s", data=b"", reply="_INBOX.abc")]) is None  # not JetStream
