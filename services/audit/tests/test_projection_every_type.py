"""Every event type in the registry, projected: its tag, its summary and the logs it lands in."""

import json

import pytest

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore import registry
from services.audit.domain import projection
from services.audit.domain.tags import TAG_OF_EVENT_TYPE, render
from services.audit.tests.factories import ALICE, BOB, Chains, actor, every_sample

SAMPLES = every_sample()
ALICE_LOG, BOB_LOG, DEMO_LOG = f"user:{ALICE}", f"user:{BOB}", "project:demo"
PROJECT_EVENTS = {"ProjectCreated", "ReleaseCreated", "FileAdded", "UploadRejected", "ProjectPolicyChanged",
                  "ProjectLimitsChanged"}
# Staged releases and yanking (issue 8).
PROJECT_EVENTS |= {"ReleaseStaged", "FileStaged", "ReleasePublished", "StagedReleaseDiscarded",
                   "ReleaseYanked", "ReleaseUnyanked"}
PROJECT_EVENTS |= {"WheelRecordMismatched"}
USER_AND_PROJECT_EVENTS = {"ProjectTokenAdded", "ProjectTokenRemoved"}
ROLE_EVENTS = {"RoleAdded", "RoleChanged", "RoleRemoved", "RoleInvitationCreated", "RoleInvitationDeclined",
               "RoleInvitationRevoked"}


def subject_logs(event_type: str) -> tuple[str, ...]:
    """The logs an event lands in through its subjects alone (no actor)."""
    if event_type in ROLE_EVENTS:
        return (BOB_LOG, DEMO_LOG)
    if event_type in PROJECT_EVENTS:
        return (DEMO_LOG,)
    if event_type in USER_AND_PROJECT_EVENTS:
        return (ALICE_LOG, DEMO_LOG)
    return (ALICE_LOG,)


def _project(event_type: str, who: envelope_pb2.Actor) -> projection.ProjectedEvent:
    service, stream, event, subjects = SAMPLES[event_type]
    return projection.project(Chains().next(service, stream, event, who, subjects), chain_ok=True)


def test_there_is_a_sample_of_every_registered_event_type():
    assert set(SAMPLES) == set(registry.EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(registry.EVENT_TYPES))
def test_an_event_without_an_actor_lands_in_its_subjects_logs(event_type):
    record = _project(event_type, envelope_pb2.Actor(ip_address="198.51.100.7"))
    assert record.log_keys == subject_logs(event_type)


@pytest.mark.parametrize("event_type", sorted(registry.EVENT_TYPES))
def test_an_event_also_lands_in_its_actors_log(event_type):
    record = _project(event_type, actor(BOB, "bob"))
    users = [key for key in subject_logs(event_type) if key.startswith("user:")]
    expected = tuple(dict.fromkeys([*users, BOB_LOG])) + tuple(k for k in subject_logs(event_type) if k == DEMO_LOG)
    assert record.log_keys == expected


@pytest.mark.parametrize("event_type", sorted(registry.EVENT_TYPES))
def test_every_event_type_is_tagged_and_summarised_from_its_payload(event_type):
    row = _project(event_type, actor()).row
    additional = json.loads(row["additional"])
    assert row["tag"] == TAG_OF_EVENT_TYPE[event_type]
    assert additional  # the payload was decoded, not dropped
    assert render(row["tag"], additional)
