"""Recovery codes and TOTP through the gateway, with codes computed by oathtool."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from gatehouse import settings as gatehouse_settings
from tests.integration.mfa_helpers import (
    current_step,
    enrol_with_oathtool,
    new_user,
    oath_code,
    password_step,
    require_oathtool,
    wait_for_types,
)


def test_totp_needs_recovery_codes_saved_first(gatehouse):
    user = new_user(gatehouse, "ulla")
    refused = user.post("/api/v1/account/totp", {})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "recovery_codes_not_confirmed"

    codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    assert len(codes) == 8 and len(set(codes)) == 8
    assert all(len(base64.b32decode(code.replace("-", "").upper())) * 8 >= 64 for code in codes)
    wrong = user.post("/api/v1/account/recovery-codes/confirm", {"code": "aaaa-bbbb-cccc-dddd"})
    assert wrong.json()["error"]["code"] == "invalid_recovery_code"
    assert user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]}).json()["remaining"] == 7
    burned = user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]})
    assert burned.json()["error"]["code"] == "burned_recovery_code"
    assert user.post("/api/v1/account/totp", {}).status_code == 200


def test_enrolment_shows_a_160_bit_secret_and_an_svg_qr_code_and_needs_a_valid_code(gatehouse):
    require_oathtool()
    user = new_user(gatehouse, "vera")
    codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]})
    begun = user.post("/api/v1/account/totp", {}).json()
    assert len(base64.b32decode(begun["secret"])) == 20
    assert begun["provisioning_uri"].startswith("otpauth://totp/Gatehouse:vera?secret=" + begun["secret"])
    assert "<svg" in begun["qr_svg"]
    wrong = user.post("/api/v1/account/totp/confirm", {"code": "000000"})
    if wrong.status_code != 200:  # 1 in a million, 000000 is the right code
        assert wrong.json()["error"]["code"] in {"invalid_totp", "totp_clock_skew"}
        step = current_step()
        assert user.post("/api/v1/account/totp/confirm", {"code": oath_code(begun["secret"], step)}).status_code == 200
    assert user.http.get(f"{gatehouse.url}/api/v1/account/two-factor").json()["methods"] == ["totp", "recovery_code"]
    wait_for_types(gatehouse, "vera", {"RecoveryCodesGenerated", "RecoveryCodesConfirmed", "SecondFactorAdded"})


def test_login_asks_for_the_code_and_refuses_everything_else_until_then(gatehouse):
    user = new_user(gatehouse, "wanda")
    secret, _, enrolled_step = enrol_with_oathtool(user)
    first = password_step(user)
    assert first["mfa_required"] is True and first["methods"] == ["totp", "recovery_code"]
    pending = user.http.get(f"{gatehouse.url}/api/v1/tokens")
    assert pending.status_code == 401 and pending.json()["error"]["code"] == "second_factor_required"

    step = max(current_step(), enrolled_step + 1)
    answer = user.post("/api/v1/session/totp", {"code": oath_code(secret, step)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["mfa_required"] is False and answer.json()["method"] == "totp"
    assert user.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 200

    password_step(user)
    replayed = user.post("/api/v1/session/totp", {"code": oath_code(secret, step)})
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "replayed_totp"
    skewed = user.post("/api/v1/session/totp", {"code": oath_code(secret, current_step() - 6)})
    assert skewed.json()["error"]["code"] == "totp_clock_skew"
    assert "clock is out of sync" in skewed.json()["error"]["message"]
    events = wait_for_types(gatehouse, "wanda", {"SecondFactorAccepted", "SecondFactorRejected"})
    reasons = {e["additional"].get("reason") for e in events if e["type"] == "SecondFactorRejected"}
    assert {"replayed_totp", "totp_clock_skew"} <= reasons


def test_a_recovery_code_logs_in_once(gatehouse):
    user = new_user(gatehouse, "xena")
    _, codes, _ = enrol_with_oathtool(user)
    password_step(user)
    used = user.post("/api/v1/session/recovery-code", {"code": codes[0].upper()})
    assert used.status_code == 200, used.text
    assert used.json()["remaining_recovery_codes"] == 6
    password_step(user)
    again = user.post("/api/v1/session/recovery-code", {"code": codes[0]})
    assert again.status_code == 401 and again.json()["error"]["code"] == "burned_recovery_code"
    events = wait_for_types(gatehouse, "xena", {"RecoveryCodeUsed"})
    assert not any(code.replace("-", "") in str(events).replace("-", "") for code in codes)


def test_new_codes_replace_the_old_set(gatehouse):
    user = new_user(gatehouse, "yuki")
    _, old_codes, _ = enrol_with_oathtool(user)
    new_codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    assert not set(new_codes) & set(old_codes)
    stale = user.post("/api/v1/account/recovery-codes/confirm", {"code": old_codes[0]})
    assert stale.json()["error"]["code"] == "invalid_recovery_code"
    assert user.post("/api/v1/account/recovery-codes/confirm", {"code": new_codes[0]}).status_code == 200
    wait_for_types(gatehouse, "yuki", {"RecoveryCodesRegenerated"})


def test_a_database_dump_holds_neither_the_totp_secret_nor_the_codes(gatehouse):
    user = new_user(gatehouse, "zora")
    secret, codes, _ = enrol_with_oathtool(user)
    url = gatehouse_settings.load(gatehouse.env).database_url_for("mfa")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    dump = []
    with engine.connect() as connection:
        for table in ("totp_secrets", "pending_totp", "recovery_codes", "events", "second_factors"):
            dump.extend(repr(row) for row in connection.execute(sa.text(f"SELECT * FROM {table}")))
    engine.dispose()
    text = "\n".join(dump)
    assert secret not in text and base64.b32decode(secret).hex() not in text
    assert not any(code.replace("-", "") in text for code in codes)
    assert "$argon2" in text
