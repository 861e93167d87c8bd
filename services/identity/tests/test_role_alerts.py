"""Role mails: every owner and the collaborator concerned, and the invitee's link."""

from services.identity.domain.alerts import Facts, alerts_for

HERE = Facts(ip_address="203.0.113.9", origin="https://index.example")


def test_a_role_change_mails_every_owner_and_the_collaborator_once():
    payload = {"project_name": "demo", "user_id": "u-bob", "username": "bob", "old_role": "Maintainer",
               "role": "Owner", "owner_user_ids": ["u-alice", "u-bob"]}
    sent = alerts_for("RoleChanged", payload, HERE)
    assert [alert.user_id for alert in sent] == ["u-alice", "u-bob"]
    assert "changed from Maintainer to Owner" in sent[0].text and "203.0.113.9" in sent[0].text


def test_a_removal_and_an_accepted_invitation_mail_owners():
    removed = alerts_for("RoleRemoved", {"project_name": "demo", "user_id": "u-bob", "username": "bob",
                                         "role": "Maintainer", "owner_user_ids": ["u-alice"]}, HERE)
    assert [(a.user_id, a.subject) for a in removed] == [
        ("u-alice", "Collaborator removed from project demo"), ("u-bob", "Collaborator removed from project demo")]
    added = alerts_for("RoleAdded", {"project_name": "demo", "user_id": "u-bob", "username": "bob",
                                     "role": "Maintainer", "invitation_id": "i1", "owner_user_ids": ["u-alice"]}, HERE)
    assert [a.user_id for a in added] == ["u-alice", "u-bob"] and "accepting an invitation" in added[0].text


def test_a_project_creator_is_not_mailed_about_their_own_role():
    assert alerts_for("RoleAdded", {"project_name": "demo", "user_id": "u-alice", "role": "Owner"}, HERE) == []


def test_an_invitation_mails_the_invitee_the_page_to_answer_it():
    payload = {"project_name": "demo", "user_id": "u-bob", "username": "bob", "role": "Maintainer",
               "invitation_id": "abc", "invited_by_username": "alice", "expires_at_us": 1_700_000_000_000_000,
               "owner_user_ids": ["u-alice"]}
    [mail] = alerts_for("RoleInvitationCreated", payload, HERE)
    assert mail.user_id == "u-bob" and mail.subject == "Invitation to project demo"
    assert "https://index.example/invitations/abc" in mail.text and "2023-11-14" in mail.text
