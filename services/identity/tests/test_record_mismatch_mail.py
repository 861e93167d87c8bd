"""The RECORD mismatch warning: every Owner, Maintainer and the uploader, once each, at a
verified primary address; the rule alone, then through the alert consumer over a real SQLite
database (a redelivered event mails nobody again)."""

from gatehouse.events.v1 import envelope_pb2, uploads_pb2
from gatehouse.eventstore.store import now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.tables import store
from services.identity.application import handlers
from services.identity.domain.alerts import Facts, alerts_for
from services.identity.entrypoints.notifications import AlertConsumer, AlertMailer
from services.identity.tests.test_account_flows import CONTEXT, PASSWORD
from services.identity.tests.test_alert_consumer import LockCheckingMailer, Message, recorded, setup  # noqa: F401

PAYLOAD = {"project_name": "demo", "version": "1.0", "filename": "demo-1.0-py3-none-any.whl",
           "mismatches": ["the sha256 digest of 'demo/__init__.py' disagrees with its RECORD",
                          "its RECORD lists 'demo/gone.py', which the wheel does not contain"],
           "more_mismatches": 2, "uploaded_by_user_id": "u-bob", "uploaded_by_username": "bob",
           "owner_user_ids": ["u-alice", "u-carol"], "maintainer_user_ids": ["u-bob"]}


def test_every_owner_maintainer_and_the_uploader_is_warned_once():
    sent = alerts_for("WheelRecordMismatched", PAYLOAD, Facts())
    assert [alert.user_id for alert in sent] == ["u-alice", "u-carol", "u-bob"]
    assert {alert.subject for alert in sent} == {"Wheel RECORD mismatch in project demo"}
    assert all(alert.verified_only for alert in sent)


def test_the_mail_names_the_wheel_the_uploader_and_each_mismatch():
    [mail, *_] = alerts_for("WheelRecordMismatched", PAYLOAD, Facts())
    assert ("The wheel demo-1.0-py3-none-any.whl uploaded to project 'demo' (release 1.0) by bob has a "
            "RECORD file that does not match its contents:") in mail.text
    assert "  - the sha256 digest of 'demo/__init__.py' disagrees with its RECORD\n" in mail.text
    assert "  - and 2 more mismatches" in mail.text
    assert ("This upload was accepted because this index warns rather than refuses; "
            "a future upload may be refused.") in mail.text
    staged = alerts_for("WheelRecordMismatched", {**PAYLOAD, "staged": True}, Facts())[0]
    assert "(a staged release 1.0)" in staged.text


async def _user(deps, name, verified=True):
    request = identity_pb2.CreateUserRequest(username=name, email=f"{name}@example.org", email_verified=verified,
                                             password=PASSWORD, context=CONTEXT)
    return (await handlers.create_user(deps, request)).user_id


def _mismatched(event_id, owners, maintainers, uploader):
    event = uploads_pb2.WheelRecordMismatched(
        project_id="p1", project_name="demo", version="1.0", filename="demo-1.0-py3-none-any.whl",
        mismatches=["the sha256 digest of 'demo/__init__.py' disagrees with its RECORD"],
        uploaded_by_user_id=uploader, uploaded_by_username="x", owner_user_ids=owners, maintainer_user_ids=maintainers)
    return Message(envelope_pb2.EventEnvelope(event_id=event_id, type="WheelRecordMismatched", service="uploads",
                                              payload=event.SerializeToString(), occurred_at_us=now_us()))


async def test_the_notifier_mails_verified_addresses_once_and_not_again_on_redelivery(setup):  # noqa: F811
    engine, deps, path = setup
    olive, mae = await _user(deps, "olive"), await _user(deps, "mae")
    unverified = await _user(deps, "una", verified=False)
    mailer = LockCheckingMailer(path)
    consumer = AlertConsumer(None, engine, store, AlertMailer(mailer), stream="S")
    delivered = _mismatched("w1", [olive, unverified], [mae], olive)  # olive: Owner and uploader
    await consumer._handle_batch([delivered])
    assert mailer.sent == ["olive@example.org", "mae@example.org"] and delivered.acked == 1
    assert await recorded(engine) == ["w1"]
    again = _mismatched("w1", [olive, unverified], [mae], olive)
    await consumer._handle_batch([again])
    assert mailer.sent == ["olive@example.org", "mae@example.org"] and again.acked == 1
