"""Building chained event envelopes the way the event stores publish them."""

from __future__ import annotations

import itertools
import uuid

from google.protobuf.message import Message

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as identity_events
from gatehouse.events.v1 import mfa_pb2 as mfa_events
from gatehouse.events.v1 import tokens_pb2 as token_events
from gatehouse.events.v1 import uploads_pb2 as upload_events
from gatehouse.eventstore.hashing import GENESIS_HASH, chain_hash

ALICE = "u-alice"
BOB = "u-bob"
PROJECT_ID = "p-demo"


class Chains:
    """Hands out envelopes whose versions and hashes chain per (service, stream)."""

    def __init__(self, start_us: int = 1_700_000_000_000_000):
        self._heads: dict[tuple[str, str], tuple[int, str]] = {}
        self._clock = itertools.count(start_us, 1_000_000)

    def next(
        self,
        service: str,
        stream: str,
        event: Message,
        actor: envelope_pb2.Actor | None = None,
        subjects: envelope_pb2.Subjects | None = None,
    ) -> envelope_pb2.EventEnvelope:
        version, prev_hash = self._heads.get((service, stream), (0, GENESIS_HASH))
        envelope = envelope_pb2.EventEnvelope(
            event_id=str(uuid.uuid4()),
            service=service,
            stream=stream,
            version=version + 1,
            type=event.DESCRIPTOR.name,
            occurred_at_us=next(self._clock),
            payload=event.SerializeToString(deterministic=True),
            prev_hash=prev_hash,
        )
        envelope.actor.CopyFrom(actor or envelope_pb2.Actor())
        envelope.subjects.CopyFrom(subjects or envelope_pb2.Subjects())
        envelope.hash = chain_hash(prev_hash, envelope)
        self._heads[(service, stream)] = (envelope.version, envelope.hash)
        return envelope


def actor(user_id: str = ALICE, username: str = "alice", token_id: str = "", ip: str = "192.0.2.1"):
    return envelope_pb2.Actor(
        user_id=user_id, username=username, token_id=token_id, ip_address=ip, user_agent="test/1"
    )


def user_subject(user_id: str = ALICE, username: str = "alice") -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=user_id, username=username)


def project_subject(name: str = "demo") -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(project=name, project_id=PROJECT_ID)


def sample_events() -> dict[str, tuple[str, str, Message, envelope_pb2.Subjects]]:
    """One realistic event of every known type: type -> (service, stream, event, subjects)."""
    alice_stream = f"user-{ALICE}"
    project_stream = f"project-{PROJECT_ID}"
    return {
        "UserCreated": ("identity", alice_stream, identity_events.UserCreated(
            user_id=ALICE, username="alice", email="alice@example.org", created_by="operator"), user_subject()),
        "LoginSucceeded": ("identity", alice_stream, identity_events.LoginSucceeded(
            user_id=ALICE, session_id="s1"), user_subject()),
        "LoginFailed": ("identity", alice_stream, identity_events.LoginFailed(
            username="alice", user_id=ALICE, reason="wrong password"), user_subject()),
        "SessionEnded": ("identity", alice_stream, identity_events.SessionEnded(
            user_id=ALICE, session_id="s1", reason="logout"), user_subject()),
        "TokenIssued": ("tokens", "token-t1", token_events.TokenIssued(
            token_id="t1", user_id=ALICE, name="ci", caveats_json="{}"), user_subject()),
        "TokenRevoked": ("tokens", "token-t1", token_events.TokenRevoked(
            token_id="t1", user_id=ALICE, reason="by owner"), user_subject()),
        "TokenRejected": ("tokens", "token-t1", token_events.TokenRejected(
            token_id="t1", user_id=ALICE, reason="expired"), user_subject()),
        "ProjectCreated": ("uploads", project_stream, upload_events.ProjectCreated(
            project_id=PROJECT_ID, name="Demo", normalized_name="demo", created_by_user_id=ALICE),
            project_subject()),
        "RoleAdded": ("uploads", project_stream, upload_events.RoleAdded(
            project_id=PROJECT_ID, project_name="Demo", user_id=BOB, username="bob", role="Maintainer"),
            envelope_pb2.Subjects(user_id=BOB, username="bob", project="demo", project_id=PROJECT_ID)),
        "ReleaseCreated": ("uploads", project_stream, upload_events.ReleaseCreated(
            project_id=PROJECT_ID, project_name="Demo", version="1.0"), project_subject()),
        "FileAdded": ("uploads", project_stream, upload_events.FileAdded(
            project_id=PROJECT_ID, project_name="Demo", version="1.0", filename="demo-1.0.tar.gz",
            packagetype="sdist", size=10, sha256="ab" * 32), project_subject()),
        "UploadRejected": ("uploads", project_stream, upload_events.UploadRejected(
            project_name="Demo", filename="demo-1.0.tar.gz", reason="File already exists."),
            project_subject()),
        "ProjectPolicyChanged": ("uploads", project_stream, upload_events.ProjectPolicyChanged(
            project_id=PROJECT_ID, project_name="Demo", policy="require_2fa", enabled=False, weakened=True,
            owner_user_ids=[ALICE]), project_subject()),
        "EmailVerified": ("identity", alice_stream, identity_events.EmailVerified(
            user_id=ALICE, email="alice@example.org"), user_subject()),
        "PasswordChanged": ("identity", alice_stream, identity_events.PasswordChanged(
            user_id=ALICE, sessions_ended=2), user_subject()),
        "PasswordResetRequested": ("identity", alice_stream, identity_events.PasswordResetRequested(
            user_id=ALICE, email="alice@example.org"), user_subject()),
        "PasswordReset": ("identity", alice_stream, identity_events.PasswordReset(
            user_id=ALICE, sessions_ended=1), user_subject()),
        "EmailAdded": ("identity", alice_stream, identity_events.EmailAdded(
            user_id=ALICE, email="alice@work.example"), user_subject()),
        "EmailRemoved": ("identity", alice_stream, identity_events.EmailRemoved(
            user_id=ALICE, email="alice@old.example"), user_subject()),
        "EmailChanged": ("identity", alice_stream, identity_events.EmailChanged(
            user_id=ALICE, old_email="alice@example.org", new_email="alice@work.example"), user_subject()),
        "SessionReauthenticated": ("identity", alice_stream, identity_events.SessionReauthenticated(
            user_id=ALICE, session_id="s1"), user_subject()),
        "UserLocked": ("identity", alice_stream, identity_events.UserLocked(
            user_id=ALICE, reason="compromised account", sessions_ended=1), user_subject()),
        "UserUnlocked": ("identity", alice_stream, identity_events.UserUnlocked(user_id=ALICE), user_subject()),
        "RoleInvitationCreated": ("uploads", project_stream, upload_events.RoleInvitationCreated(
            project_id=PROJECT_ID, project_name="Demo", invitation_id="i1", user_id=BOB, username="bob",
            role="Maintainer", expires_at_us=1, invited_by_username="alice", owner_user_ids=[ALICE]),
            envelope_pb2.Subjects(user_id=BOB, username="bob", project="demo", project_id=PROJECT_ID)),
        "RoleInvitationDeclined": ("uploads", project_stream, upload_events.RoleInvitationDeclined(
            project_id=PROJECT_ID, project_name="Demo", invitation_id="i1", user_id=BOB, username="bob",
            role="Maintainer", owner_user_ids=[ALICE]),
            envelope_pb2.Subjects(user_id=BOB, username="bob", project="demo", project_id=PROJECT_ID)),
        "RoleInvitationRevoked": ("uploads", project_stream, upload_events.RoleInvitationRevoked(
            project_id=PROJECT_ID, project_name="Demo", invitation_id="i1", user_id=BOB, username="bob",
            role="Maintainer", owner_user_ids=[ALICE]),
            envelope_pb2.Subjects(user_id=BOB, username="bob", project="demo", project_id=PROJECT_ID)),
        "RoleChanged": ("uploads", project_stream, upload_events.RoleChanged(
            project_id=PROJECT_ID, project_name="Demo", user_id=BOB, username="bob", old_role="Maintainer",
            role="Owner", owner_user_ids=[ALICE]),
            envelope_pb2.Subjects(user_id=BOB, username="bob", project="demo", project_id=PROJECT_ID)),
        "RoleRemoved": ("uploads", project_stream, upload_events.RoleRemoved(
            project_id=PROJECT_ID, project_name="Demo", user_id=BOB, username="bob", role="Maintainer",
            owner_user_ids=[ALICE]),
            envelope_pb2.Subjects(user_id=BOB, username="bob", project="demo", project_id=PROJECT_ID)),
        "ProjectLimitsChanged": ("uploads", project_stream, upload_events.ProjectLimitsChanged(
            project_id=PROJECT_ID, project_name="Demo", max_file_size=200 * 1024 ** 2,
            max_project_size=20 * 1024 ** 3), envelope_pb2.Subjects(project="demo", project_id=PROJECT_ID)),
        "NewDeviceLoginHeld": ("identity", alice_stream, identity_events.NewDeviceLoginHeld(
            user_id=ALICE, session_id="s9", method="totp", email="alice@example.org"), user_subject()),
        "NewDeviceLoginConfirmed": ("identity", alice_stream, identity_events.NewDeviceLoginConfirmed(
            user_id=ALICE, session_id="s9", method="totp"), user_subject()),
        "RecoveryStarted": ("identity", alice_stream, identity_events.RecoveryStarted(
            user_id=ALICE, recovery_id="r1", identity_email="alice@example.org", addresses_notified=2),
            user_subject()),
        "RecoveryConfirmed": ("identity", alice_stream, identity_events.RecoveryConfirmed(
            user_id=ALICE, recovery_id="r1", due_at_us=1_700_086_400_000_000), user_subject()),
        "RecoveryCancelled": ("identity", alice_stream, identity_events.RecoveryCancelled(
            user_id=ALICE, recovery_id="r1", cancelled_by="link"), user_subject()),
        "RecoveryCompleted": ("identity", alice_stream, identity_events.RecoveryCompleted(
            user_id=ALICE, recovery_id="r1", methods_removed=3, sessions_ended=1), user_subject()),
        "ReleaseStaged": ("uploads", project_stream, upload_events.ReleaseStaged(
            project_id=PROJECT_ID, project_name="Demo", version="2.0", created_by_token_id="t1"),
            project_subject()),
        "FileStaged": ("uploads", project_stream, upload_events.FileStaged(
            project_id=PROJECT_ID, project_name="Demo", version="2.0", filename="demo-2.0.tar.gz",
            packagetype="sdist", size=10, sha256="cd" * 32, blake2_256="ef" * 32), project_subject()),
        "ReleasePublished": ("uploads", project_stream, upload_events.ReleasePublished(
            project_id=PROJECT_ID, project_name="Demo", version="2.0", filenames=["demo-2.0.tar.gz"],
            release_created=True), project_subject()),
        "StagedReleaseDiscarded": ("uploads", project_stream, upload_events.StagedReleaseDiscarded(
            project_id=PROJECT_ID, project_name="Demo", version="2.1", filenames=["demo-2.1.tar.gz"]),
            project_subject()),
        "ReleaseYanked": ("uploads", project_stream, upload_events.ReleaseYanked(
            project_id=PROJECT_ID, project_name="Demo", version="1.0", reason="broken on Windows"),
            project_subject()),
        "ReleaseUnyanked": ("uploads", project_stream, upload_events.ReleaseUnyanked(
            project_id=PROJECT_ID, project_name="Demo", version="1.0"), project_subject()),
    }


def _token_project_subject() -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=ALICE, username="alice", project="demo", project_id=PROJECT_ID)


def mfa_and_token_samples() -> dict[str, tuple[str, str, Message, envelope_pb2.Subjects]]:
    """One event of every MFA and token type sample_events() leaves out, as their services
    record them (subjects included)."""
    mfa, token = ("mfa", f"mfa-{ALICE}"), ("tokens", "token-t1")
    return {
        "RecoveryCodesGenerated": (*mfa, mfa_events.RecoveryCodesGenerated(user_id=ALICE, count=8), user_subject()),
        "RecoveryCodesRegenerated": (*mfa, mfa_events.RecoveryCodesRegenerated(user_id=ALICE, count=8), user_subject()),
        "RecoveryCodesConfirmed": (*mfa, mfa_events.RecoveryCodesConfirmed(user_id=ALICE, remaining=7), user_subject()),
        "RecoveryCodeUsed": (*mfa, mfa_events.RecoveryCodeUsed(user_id=ALICE, remaining=6), user_subject()),
        "SecondFactorAdded": (*mfa, mfa_events.SecondFactorAdded(
            user_id=ALICE, factor_id="f1", method="totp", label="phone"), user_subject()),
        "SecondFactorRemoved": (*mfa, mfa_events.SecondFactorRemoved(
            user_id=ALICE, factor_id="f1", method="totp", label="phone"), user_subject()),
        "SecondFactorAccepted": (*mfa, mfa_events.SecondFactorAccepted(
            user_id=ALICE, method="totp", label="phone", session_id="s1"), user_subject()),
        "SecondFactorRejected": (*mfa, mfa_events.SecondFactorRejected(
            user_id=ALICE, method="totp", reason="wrong_code"), user_subject()),
        "SecurityKeyCloneSuspected": (*mfa, mfa_events.SecurityKeyCloneSuspected(
            user_id=ALICE, key_id="k1", label="yubikey", stored_sign_count=5, presented_sign_count=2),
            user_subject()),
        "PasskeySignInChanged": (*mfa, mfa_events.PasskeySignInChanged(
            user_id=ALICE, key_id="k1", label="yubikey", enabled=True), user_subject()),
        "TokenRotated": (*token, token_events.TokenRotated(
            token_id="t1", user_id=ALICE, name="ci", new_token_id="t2"), user_subject()),
        "TokenLeaked": (*token, token_events.TokenLeaked(
            token_id="t1", user_id=ALICE, name="ci", url="https://example.org/leak"), user_subject()),
        "TokenUsed": (*token, token_events.TokenUsed(
            token_id="t1", user_id=ALICE, name="ci", network="192.0.2.0/24"), user_subject()),
        "ProjectTokenAdded": (*token, token_events.ProjectTokenAdded(
            token_id="t1", user_id=ALICE, name="ci", project="demo", project_id=PROJECT_ID),
            _token_project_subject()),
        "ProjectTokenRemoved": (*token, token_events.ProjectTokenRemoved(
            token_id="t1", user_id=ALICE, name="ci", project="demo", project_id=PROJECT_ID, reason="revoked"),
            _token_project_subject()),
    }


def every_sample() -> dict[str, tuple[str, str, Message, envelope_pb2.Subjects]]:
    """sample_events(), mfa_and_token_samples() and the later samples below: one event of every
    type in the registry."""
    return {**sample_events(), **mfa_and_token_samples(), **record_mismatch_sample()}


def record_mismatch_sample() -> dict[str, tuple[str, str, Message, envelope_pb2.Subjects]]:
    """WheelRecordMismatched, which an upload records with GATEHOUSE_RECORD_MISMATCH=warn."""
    return {"WheelRecordMismatched": ("uploads", f"project-{PROJECT_ID}", upload_events.WheelRecordMismatched(
        project_id=PROJECT_ID, project_name="Demo", version="1.0", filename="demo-1.0-py3-none-any.whl",
        mismatches=["the sha256 digest of 'demo/__init__.py' disagrees with its RECORD"],
        uploaded_by_user_id=ALICE, uploaded_by_username="alice", owner_user_ids=[ALICE]), project_subject())}
