"""Collaborator management through the handlers, over a real SQLite database: invitations
(accept, decline, revoke, expiry), changing and removing roles, the last-Owner rule, and the
read side (collaborators, my projects)."""

from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore import registry
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.application import collaborators, roles
from services.uploads.domain import errors
from services.uploads.tests.builders import wheel_bytes
from services.uploads.tests.conftest import ALICE
from services.uploads.tests.test_policy_handlers import ALICE_PRINCIPAL, Factors, login
from services.uploads.tests.test_upload import recorded, send

BOB = common_pb2.Principal(user_id="u-bob", username="bob")
CAROL = common_pb2.Principal(user_id="u-carol", username="carol")


@pytest.fixture
async def project(deps):
    """Project demo, uploaded by alice (its only Owner)."""
    await send(deps, wheel_bytes())
    return replace(deps, second_factors=Factors(**{ALICE.user_id: {"totp"}, "u-bob": {"totp"}}))


def inviting(who: common_pb2.Principal, role="Maintainer", principal=ALICE_PRINCIPAL):
    return uploads_pb2.InviteCollaboratorRequest(principal=principal, project="demo", user_id=who.user_id,
                                                 username=who.username, role=role, login=login("totp"))


def responding(principal, invitation_id):
    return uploads_pb2.AcceptInvitationRequest(principal=principal, invitation_id=invitation_id)


def declining(principal, invitation_id):
    return uploads_pb2.DeclineInvitationRequest(principal=principal, invitation_id=invitation_id)


async def joined(deps, who, role="Maintainer"):
    invitation = (await roles.invite(deps, inviting(who, role))).invitation
    await roles.accept(deps, responding(who, invitation.invitation_id))


async def last_event(units):
    row = (await recorded(units))[-1]
    return row, registry.decode(row.type, row.payload)


async def test_an_invitation_names_both_subjects_and_lists_for_the_invitee(project, units):
    invitation = (await roles.invite(project, inviting(BOB))).invitation
    row, event = await last_event(units)
    assert (row.type, row.subject_user_id, row.subject_project) == ("RoleInvitationCreated", "u-bob", "demo")
    assert (event.role, event.invited_by_username, list(event.owner_user_ids)) == ("Maintainer", "alice", ["u-alice"])
    mine = await collaborators.list_my_projects(project, uploads_pb2.ListMyProjectsRequest(principal=BOB))
    assert [(i.invitation_id, i.project, i.status) for i in mine.invitations] == [
        (invitation.invitation_id, "demo", "pending")]
    assert list(mine.projects) == []


async def test_the_invitee_accepts_and_becomes_a_collaborator(project, units):
    invitation = (await roles.invite(project, inviting(BOB))).invitation
    with pytest.raises(errors.InvitationNotFound):  # someone else's invitation
        await roles.accept(project, responding(CAROL, invitation.invitation_id))
    await roles.accept(project, responding(BOB, invitation.invitation_id))
    row, event = await last_event(units)
    assert (row.type, event.invitation_id, event.role, row.subject_user_id) == (
        "RoleAdded", invitation.invitation_id, "Maintainer", "u-bob")
    listed = await collaborators.list_collaborators(
        project, uploads_pb2.ListCollaboratorsRequest(principal=BOB, project="demo"))
    assert [(c.username, c.role) for c in listed.collaborators] == [("alice", "Owner"), ("bob", "Maintainer")]
    assert (listed.role, list(listed.invitations)) == ("Maintainer", [])
    with pytest.raises(errors.InvitationNotFound):  # single use
        await roles.accept(project, responding(BOB, invitation.invitation_id))


async def test_an_expired_invitation_cannot_be_accepted_but_can_be_renewed(project):
    stale = (await roles.invite(replace(project, invitation_days=-1), inviting(BOB))).invitation
    with pytest.raises(errors.InvitationExpired):
        await roles.accept(project, responding(BOB, stale.invitation_id))
    fresh = (await roles.invite(project, inviting(BOB))).invitation
    with pytest.raises(errors.InvitationExists):
        await roles.invite(project, inviting(BOB))
    await roles.accept(project, responding(BOB, fresh.invitation_id))


async def test_declined_and_revoked_invitations_leave_no_role(project, units):
    first = (await roles.invite(project, inviting(BOB))).invitation
    await roles.decline(project, declining(BOB, first.invitation_id))
    assert (await last_event(units))[0].type == "RoleInvitationDeclined"
    second = (await roles.invite(project, inviting(BOB))).invitation
    revoke = uploads_pb2.RevokeInvitationRequest(principal=ALICE_PRINCIPAL, project="demo",
                                                 invitation_id=second.invitation_id, login=login("totp"))
    await roles.revoke(project, revoke)
    assert (await last_event(units))[0].type == "RoleInvitationRevoked"
    with pytest.raises(errors.InvitationNotFound):
        await roles.accept(project, responding(BOB, second.invitation_id))
    mine = await collaborators.list_my_projects(project, uploads_pb2.ListMyProjectsRequest(principal=BOB))
    assert (list(mine.projects), list(mine.invitations)) == ([], [])


async def test_only_owners_invite_and_manage(project):
    await joined(project, BOB)
    with pytest.raises(errors.NotAnOwner):
        await roles.invite(project, inviting(CAROL, principal=BOB))
    change = uploads_pb2.ChangeRoleRequest(principal=BOB, project="demo", username="alice", role="Maintainer",
                                           login=login("totp"))
    with pytest.raises(errors.NotAnOwner):
        await roles.change_role(project, change)
    with pytest.raises(errors.RoleAlreadyHeld):
        await roles.invite(project, inviting(BOB))


def changing(username, role, principal=ALICE_PRINCIPAL):
    return uploads_pb2.ChangeRoleRequest(principal=principal, project="demo", username=username, role=role,
                                         login=login("totp"))


def removing(username, principal=ALICE_PRINCIPAL):
    return uploads_pb2.RemoveRoleRequest(principal=principal, project="demo", username=username, login=login("totp"))


async def test_the_last_owner_can_be_neither_demoted_nor_removed(project):
    with pytest.raises(errors.LastOwner):
        await roles.change_role(project, changing("alice", "Maintainer"))
    with pytest.raises(errors.LastOwner):
        await roles.remove_role(project, removing("alice"))


async def test_an_owner_promotes_then_the_other_owner_steps_down(project, units):
    await joined(project, BOB)
    await roles.change_role(project, changing("BOB", "Owner"))
    row, event = await last_event(units)
    assert (row.type, event.old_role, event.role, list(event.owner_user_ids)) == (
        "RoleChanged", "Maintainer", "Owner", ["u-alice"])
    await roles.change_role(project, changing("alice", "Maintainer", principal=BOB))
    mine = await collaborators.list_my_projects(project, uploads_pb2.ListMyProjectsRequest(principal=ALICE_PRINCIPAL))
    assert [(p.project, p.role) for p in mine.projects] == [("demo", "Maintainer")]


async def test_a_maintainer_may_leave_and_an_owner_may_remove_one(project, units):
    await joined(project, BOB)
    await roles.remove_role(project, removing("bob", principal=BOB))
    row, event = await last_event(units)
    assert (row.type, event.role, row.subject_user_id, row.subject_project) == ("RoleRemoved", "Maintainer", "u-bob", "demo")
    await joined(project, BOB)
    await roles.remove_role(project, removing("bob"))
    with pytest.raises(errors.RoleNotFound):
        await roles.remove_role(project, removing("bob"))


async def test_a_maintainer_cannot_remove_someone_else(project):
    await joined(project, BOB)
    await joined(project, CAROL)
    with pytest.raises(errors.NotAnOwner):
        await roles.remove_role(project, removing("carol", principal=BOB))


async def test_project_policies_apply_to_the_owner_managing_roles(project):
    from services.uploads.application.policies import set_project_policy
    from services.uploads.tests.test_policy_handlers import setting
    strict = replace(project, second_factors=Factors(**{ALICE.user_id: {"totp", "webauthn"}}))
    await set_project_policy(strict, setting(require_phishing_resistant_2fa=True))
    with pytest.raises(errors.ProjectRequiresPhishingResistantFactor):
        await roles.invite(strict, inviting(BOB))


async def test_strangers_do_not_see_collaborators(project):
    with pytest.raises(errors.NotACollaborator):
        await collaborators.list_collaborators(project, uploads_pb2.ListCollaboratorsRequest(principal=BOB, project="demo"))
