"""The account page's token form: every caveat, the secret shown once, rotate and revoke."""

from __future__ import annotations

import re


def _post(alice, path, **fields):
    return alice.http.post(f"{alice.gatehouse.url}{path}", data={"csrf_token": alice.csrf, **fields})


def _secret(page: str) -> str:
    (secret,) = re.findall(r'<code class="secret">([^<]+)</code>', page)
    return secret


def _listed(alice, name):
    tokens = alice.http.get(f"{alice.gatehouse.url}/api/v1/tokens").json()["tokens"]
    return next(token for token in tokens if token["name"] == name)


def test_the_form_creates_a_token_with_every_caveat_and_shows_it_once(alice):
    answer = _post(alice, "/account/tokens", name="form-ci", projects="formdemo", action_upload="1",
                   action_yank="1", allowed_cidrs="127.0.0.0/8", version="2.0", single_use="1",
                   expires_in_days="30")
    assert answer.status_code == 200, answer.text
    secret = _secret(answer.text)
    assert secret.startswith("gatehouse-")
    caveats = _listed(alice, "form-ci")["caveats"]
    assert (caveats["projects"], caveats["actions"]) == (["formdemo"], ["upload", "yank"])
    assert (caveats["allowed_cidrs"], caveats["version"], caveats["single_use"]) == (["127.0.0.0/8"], "2.0", True)
    page = alice.http.get(f"{alice.gatehouse.url}/account/").text
    assert secret not in page and "may upload, yank; from 127.0.0.0/8; version 2.0 only; single use" in page


def test_a_malformed_field_is_refused_and_creates_nothing(alice):
    answer = _post(alice, "/account/tokens", name="bad-form", allowed_cidrs="not-a-network", expires_in_days="30")
    assert answer.status_code == 400
    names = [token["name"] for token in alice.http.get(f"{alice.gatehouse.url}/api/v1/tokens").json()["tokens"]]
    assert "bad-form" not in names


def test_rotate_from_the_page_shows_a_new_secret_and_revokes_the_old(alice):
    old_secret = _secret(_post(alice, "/account/tokens", name="to-rotate", expires_in_days="30").text)
    old = _listed(alice, "to-rotate")
    rotated = _post(alice, f"/account/tokens/{old['id']}/rotate")
    assert rotated.status_code == 200, rotated.text
    new_secret = _secret(rotated.text)
    assert new_secret != old_secret
    introspect = lambda token: alice.http.post(  # noqa: E731
        f"{alice.gatehouse.url}/api/v1/tokens/introspect", json={"token": token}).json()["valid"]
    assert (introspect(old_secret), introspect(new_secret)) == (False, True)
