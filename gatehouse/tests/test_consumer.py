from nats.aio.msg import Msg

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


def test_the_pending_count_after_a_fetch_comes_from_the_last_messages_reply_subject():
    def message(pending: int) -> Msg:
        return Msg(None, subject="gatehouse.events.x.Y", data=b"",
                   reply=f"$JS.ACK.GATEHOUSE_EVENTS.audit.1.{10 - pending}.{10 - pending}.1700000000000000000.{pending}")

    assert _pending_after([message(7), message(6)]) == 6
    assert _pending_after([]) == 0
    assert _pending_after([Msg(None, subject="s", data=b"", reply="_INBOX.abc")]) is None  # not JetStream
