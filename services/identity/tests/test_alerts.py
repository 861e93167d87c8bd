"""Which events mail the owner: given an event and facts, then this alert (or none)."""

from services.identity.domain.alerts import MAX_AGE_US, Facts, alert_for

HERE = Facts(ip_address="203.0.113.7", user_agent="Firefox on Linux")


def test_a_login_from_a_new_ip_mails_the_user_naming_the_address():
    alert = alert_for("LoginSucceeded", {"user_id": "u1"}, Facts("203.0.113.7", "", first_login_from_ip=True))
    assert alert.user_id == "u1"
    assert "203.0.113.7" in alert.text


def test_a_login_from_a_known_ip_sends_nothing():
    assert alert_for("LoginSucceeded", {"user_id": "u1"}, HERE) is None


def test_a_new_token_mails_its_name():
    alert = alert_for("TokenIssued", {"user_id": "u1", "name": "ci"}, HERE)
    assert alert.subject == "API token created" and "'ci'" in alert.text


def test_second_factor_changes_and_recovery_codes_are_mailed():
    for event_type in ("SecondFactorAdded", "SecondFactorRemoved", "RecoveryCodeUsed"):
        assert alert_for(event_type, {"user_id": "u1", "method": "totp"}, HERE) is not None


def test_events_without_a_rule_or_a_user_or_too_old_send_nothing():
    assert alert_for("FileAdded", {"user_id": "u1"}, HERE) is None
    assert alert_for("TokenIssued", {"name": "ci"}, HERE) is None
    assert alert_for("TokenIssued", {"user_id": "u1"}, HERE, age_us=MAX_AGE_US + 1) is None


def test_a_weakened_project_policy_mails_every_owner():
    from services.identity.domain.alerts import alerts_for

    payload = {"policy": "require_2fa", "project_name": "demo", "enabled": False, "weakened": True,
               "owner_user_ids": ["u1", "u2"]}
    sent = alerts_for("ProjectPolicyChanged", payload, HERE)
    assert [alert.user_id for alert in sent] == ["u1", "u2"]
    assert all(alert.subject == "Policy weakened on project demo" for alert in sent)
    assert "two-factor" in sent[0].text and "203.0.113.7" in sent[0].text


def test_a_strengthened_or_old_policy_change_mails_nobody():
    from services.identity.domain.alerts import alerts_for

    payload = {"policy": "require_2fa", "project_name": "demo", "enabled": True, "owner_user_ids": ["u1"]}
    assert alerts_for("ProjectPolicyChanged", payload, HERE) == []
    weakened = {**payload, "enabled": False, "weakened": True}
    assert alerts_for("ProjectPolicyChanged", weakened, HERE, age_us=MAX_AGE_US + 1) == []


def test_alerts_for_keeps_the_one_recipient_rules():
    from services.identity.domain.alerts import alerts_for

    assert [a.subject for a in alerts_for("TokenIssued", {"user_id": "u1", "name": "ci"}, HERE)] == ["API token created"]
    assert alerts_for("FileAdded", {"user_id": "u1"}, HERE) == []


def test_a_token_used_from_a_new_network_mails_its_name_and_the_network():
    payload = {"user_id": "u1", "name": "ci", "network": "203.0.113.0/24", "ip_address": "203.0.113.7"}
    alert = alert_for("TokenUsed", payload, HERE)
    assert alert.user_id == "u1" and alert.subject == "API token used from a new network"
    assert "'ci'" in alert.text and "203.0.113.0/24" in alert.text and "203.0.113.7" in alert.text


def test_a_leaked_token_mails_its_owner_naming_the_token_and_the_url_not_the_reporter():
    payload = {"user_id": "owner-1", "name": "release", "url": "https://example.com/gist/1", "source": "gist"}
    reporter = Facts(ip_address="198.51.100.9", user_agent="GitHub-Hookshot")
    alert = alert_for("TokenLeaked", payload, reporter)
    assert alert.user_id == "owner-1" and alert.subject == "API token found in public and revoked"
    assert "'release'" in alert.text and "https://example.com/gist/1" in alert.text
    assert "198.51.100.9" not in alert.text and "GitHub-Hookshot" not in alert.text


def test_recovery_code_sets_are_mailed_with_their_size():
    generated = alert_for("RecoveryCodesGenerated", {"user_id": "u1", "count": 8}, HERE)
    regenerated = alert_for("RecoveryCodesRegenerated", {"user_id": "u1", "count": 8}, HERE)
    assert generated.subject == "Recovery codes generated" and "8 recovery codes" in generated.text
    assert regenerated.subject == "Recovery codes regenerated" and "old codes no longer work" in regenerated.text
    assert "203.0.113.7" in generated.text


def test_a_suspected_cloned_key_is_mailed_naming_the_key():
    alert = alert_for("SecurityKeyCloneSuspected", {"user_id": "u1", "label": "Blue key"}, HERE)
    assert alert.user_id == "u1" and alert.subject == "Security key may be cloned"
    assert "'Blue key'" in alert.text and "refused" in alert.text


def test_a_password_change_mails_the_owner():
    alert = alert_for("PasswordChanged", {"user_id": "u1", "sessions_ended": 1}, HERE)
    assert (alert.user_id, alert.subject) == ("u1", "Password changed")
    assert "203.0.113.7" in alert.text and "other sessions were ended" in alert.text


def test_a_primary_address_change_mails_the_old_address_naming_both():
    payload = {"user_id": "u1", "old_email": "old@example.org", "new_email": "new@example.org"}
    alert = alert_for("EmailChanged", payload, HERE)
    assert (alert.user_id, alert.to_email, alert.subject) == ("u1", "old@example.org", "Primary e-mail address changed")
    assert "from old@example.org to new@example.org" in alert.text and "203.0.113.7" in alert.text


def test_other_alerts_go_to_the_primary_address_and_a_reset_is_mailed():
    alert = alert_for("PasswordReset", {"user_id": "u1", "sessions_ended": 2}, HERE)
    assert (alert.subject, alert.to_email) == ("Password reset", "")
    assert "all your sessions were ended" in alert.text
