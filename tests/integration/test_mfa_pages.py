"""The web UI's second login step and 2FA page, as a browser without JavaScript uses them."""

from __future__ import annotations

import re

from tests.integration.mfa_helpers import add_key, current_step, enrol_with_oathtool, new_user, oath_code, origin_of
from tests.integration.soft_authenticator import SoftAuthenticator


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_password_then_code_on_the_pages(gatehouse):
    user = new_user(gatehouse, "wes")
    secret, _, step = enrol_with_oathtool(user)
    user.http.cookies.clear()
    login = user.http.post(f"{gatehouse.url}/account/login", data={"username": "wes", "password": user.password},
                           allow_redirects=False)
    assert login.status_code == 303 and login.headers["Location"] == "/account/two-factor/verify"
    assert user.http.get(f"{gatehouse.url}/account/security-history").status_code == 401
    form = user.http.get(f"{gatehouse.url}/account/two-factor/verify")
    assert form.status_code == 200 and "Code from your authenticator app" in form.text
    csrf = csrf_of(form.text)

    wrong = user.http.post(f"{gatehouse.url}/account/two-factor/verify",
                           data={"csrf_token": csrf, "method": "totp", "code": "12"}, allow_redirects=False)
    assert wrong.status_code == 400 and "6 digits" in wrong.text
    code = oath_code(secret, max(current_step(), step + 1))
    right = user.http.post(f"{gatehouse.url}/account/two-factor/verify",
                           data={"csrf_token": csrf, "method": "totp", "code": code}, allow_redirects=False)
    assert right.status_code == 303 and right.headers["Location"] == "/account/"
    account = user.http.get(f"{gatehouse.url}/account/")
    assert 'href="/account/two-factor"' in account.text


def test_the_2fa_page_shows_codes_once_and_a_qr_code(gatehouse):
    user = new_user(gatehouse, "xia")
    page = user.http.get(f"{gatehouse.url}/account/two-factor")
    assert "You have no second factor yet" in page.text
    codes_page = user.http.post(f"{gatehouse.url}/account/two-factor/recovery-codes",
                                data={"csrf_token": csrf_of(page.text)})
    codes = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", codes_page.text)
    assert len(codes) == 8
    assert not re.findall(r"<li><code>", user.http.get(f"{gatehouse.url}/account/two-factor").text)
    confirmed = user.http.post(f"{gatehouse.url}/account/two-factor/recovery-codes/confirm",
                               data={"csrf_token": csrf_of(page.text), "code": codes[3]})
    assert "Recovery codes confirmed" in confirmed.text
    totp = user.http.post(f"{gatehouse.url}/account/two-factor/totp", data={"csrf_token": csrf_of(page.text)})
    assert '<div id="totp-qr"' in totp.text and "<svg" in totp.text and "<?xml" not in totp.text


def test_the_second_step_page_offers_only_the_users_methods(gatehouse):
    app_user = new_user(gatehouse, "yara")
    enrol_with_oathtool(app_user)
    key_user = new_user(gatehouse, "zeno")
    codes = key_user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    assert key_user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]}).status_code == 200
    assert add_key(key_user, SoftAuthenticator(origin_of(gatehouse)), "Desk key")[0].status_code == 201

    pages = {}
    for user in (app_user, key_user):
        user.http.cookies.clear()
        user.http.post(f"{gatehouse.url}/account/login", data={"username": user.username, "password": user.password})
        pages[user.username] = user.http.get(f"{gatehouse.url}/account/two-factor/verify").text
    assert "Code from your authenticator app" in pages["yara"] and "A recovery code" in pages["yara"]
    assert 'id="use-security-key"' not in pages["yara"]
    assert 'id="use-security-key"' in pages["zeno"] and "A recovery code" in pages["zeno"]
    assert "Code from your authenticator app" not in pages["zeno"]
