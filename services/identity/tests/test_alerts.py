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
