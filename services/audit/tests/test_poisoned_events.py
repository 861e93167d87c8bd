"""A readable envelope whose payload does not parse is parked with its reason, never projected
with empty data, and the events around it are projected; operators can list what was parked."""

from dataclasses import dataclass, field

import grpc
import pytest

from gatehouse.audit.v1 import audit_pb2
from gatehouse.eventstore.hashing import chain_hash
from services.audit.adapters.tables import store
from services.audit.application.projector import project_envelope
from services.audit.domain import projection
from services.audit.domain.errors import UndecodablePayload
from services.audit.entrypoints.event_consumer import ParkingConsumer
from services.audit.tests.factories import Chains, actor, sample_events
from services.audit.tests.test_component import ALICE, OPERATOR, engine, stub  # noqa: F401

GARBAGE = b"\xff\xff\xff\xff"


@dataclass
class FakeMetadata:
    num_delivered: int
    stream: int

    @property
    def sequence(self):
        return self


@dataclass
class FakeMessage:
    """What the consumer reads of a JetStream message, and what it answered."""

    data: bytes
    sequence: int
    subject: str = "gatehouse.events.identity.LoginFailed"
    delivered: int = 1
    answers: list = field(default_factory=list)

    @property
    def metadata(self):
        return FakeMetadata(self.delivered, self.sequence)

    async def ack(self):
        self.answers.append("ack")

    async def nak(self, delay=None):
        self.answers.append("nak")


def _poisoned_batch():
    chains = Chains()
    service, stream, event, subjects = sample_events()["LoginFailed"]
    envelopes = [chains.next(service, f"ip-{n}", event, actor(), subjects) for n in range(3)]
    poisoned = envelopes[1]
    poisoned.payload = GARBAGE
    poisoned.hash = chain_hash(poisoned.prev_hash, poisoned)  # the producer chained it as it is
    return envelopes, [FakeMessage(e.SerializeToString(), n + 1) for n, e in enumerate(envelopes)]


def test_a_known_type_with_an_undecodable_payload_is_refused_not_emptied():
    envelope = Chains().next("identity", "user-x", sample_events()["LoginFailed"][2], actor())
    envelope.payload = GARBAGE
    with pytest.raises(UndecodablePayload, match=envelope.event_id):
        projection.project(envelope, chain_ok=True)


async def test_an_undecodable_payload_is_parked_at_once_and_the_others_projected(engine, stub):  # noqa: F811
    envelopes, messages = _poisoned_batch()
    consumer = ParkingConsumer(None, engine, store, "test-projector", project_envelope, "STREAM")
    await consumer._handle_batch(messages)
    assert [m.answers for m in messages] == [["ack"], ["ack"], ["ack"]]
    logged = await stub.QueryEvents(audit_pb2.QueryEventsRequest(caller=OPERATOR))
    assert {e.id for e in logged.events} == {envelopes[0].event_id, envelopes[2].event_id}
    parked = (await stub.ListParkedEvents(audit_pb2.ListParkedEventsRequest(caller=OPERATOR))).events
    assert [(p.event_id, p.event_type, p.stream_sequence) for p in parked] == [
        (envelopes[1].event_id, "LoginFailed", 2)]
    assert "cannot be decoded" in parked[0].error


async def test_an_unreadable_envelope_is_listed_without_an_identity(engine, stub):  # noqa: F811
    consumer = ParkingConsumer(None, engine, store, "test-projector", project_envelope, "STREAM")
    message = FakeMessage(b"\xff\x00not protobuf", 7)
    await consumer._handle_batch([message])
    (parked,) = (await stub.ListParkedEvents(audit_pb2.ListParkedEventsRequest(caller=OPERATOR))).events
    assert (parked.event_id, parked.stream_sequence, message.answers) == ("", 7, ["ack"])


async def test_only_operators_list_parked_events(stub):  # noqa: F811
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ListParkedEvents(audit_pb2.ListParkedEventsRequest(caller=ALICE))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
