import json

import pytest

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as identity_events
from services.audit.domain import projection
from services.audit.domain.tags import TAG_OF_EVENT_TYPE
from services.audit.tests.factories import ALICE, BOB, Chains, actor, sample_events

SAMPLES = sample_events()


def _project(event_type, who=None):
    service, stream, event, subjects = SAMPLES[event_type]
    envelope = Chains().next(service, stream, event, who or actor(), subjects)
    return envelope, projection.project(envelope, chain_ok=True)


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_each_event_type_becomes_a_tagged_row_with_its_hashes(event_type):
    envelope, record = _project(event_type)
    row = record.row
    assert row["tag"] == TAG_OF_EVENT_TYPE[event_type]
    assert (row["event_id"], row["event_type"], row["stream"]) == (
        envelope.event_id, event_type, envelope.stream)
    assert (row["hash"], row["prev_hash"], row["version"]) == (envelope.hash, envelope.prev_hash, 1)
    assert row["actor_ip"] == "192.0.2.1" and row["payload"] == envelope.payload
    assert json.loads(row["additional"])


@pytest.mark.parametrize(
    ("event_type", "keys"),
    [
        ("UserCreated", (f"user:{ALICE}",)),
        ("TokenIssued", (f"user:{ALICE}",)),
        ("ProjectCreated", (f"user:{ALICE}", "project:demo")),
        ("RoleAdded", (f"user:{BOB}", f"user:{ALICE}", "project:demo")),
    ],
)
def test_an_event_belongs_to_its_subject_user_actor_user_and_project_logs(event_type, keys):
    _, record = _project(event_type)
    assert record.log_keys == keys


def test_an_event_without_actor_or_subject_user_is_in_no_user_log():
    _, record = _project("UploadRejected", who=envelope_pb2.Actor(ip_address="198.51.100.7"))
    assert record.log_keys == ("project:demo",)


def test_a_project_log_key_is_the_normalized_name():
    event = identity_events.LoginFailed(username="x")
    envelope = Chains().next("uploads", "s", event, subjects=envelope_pb2.Subjects(project="My_Project"))
    assert projection.project(envelope, True).log_keys == ("project:my-project",)


def test_user_created_reveals_the_username_of_the_user_id():
    _, record = _project("UserCreated", who=envelope_pb2.Actor(ip_address="local"))
    assert record.users == ((ALICE, "alice"),)


def test_secret_looking_keys_are_dropped_at_any_depth():
    value = {"name": "ci", "password": "x", "token_secret": "y", "nested": [{"Secret": 1, "ok": 2}]}
    assert projection.without_secrets(value) == {"name": "ci", "nested": [{"ok": 2}]}


def test_token_ids_and_session_ids_are_kept():
    assert not projection.is_secret_key("token_id")
    assert not projection.is_secret_key("session_id")


def test_an_unknown_event_type_is_projected_with_an_unknown_tag():
    envelope = Chains().next("mfa", "user-x", identity_events.LoginFailed(), actor())
    envelope.type = "TotpEnrolled"
    record = projection.project(envelope, chain_ok=True)
    assert record.row["tag"] == "unknown:TotpEnrolled"
    assert record.row["additional"] == "{}"
    assert record.log_keys == (f"user:{ALICE}",)
