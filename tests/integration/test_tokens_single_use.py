"""A single-use token works exactly once, even when 8 twine uploads race for it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.integration.flow import build_project, twine_upload

RACERS = 8


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


def test_a_single_use_token_wins_exactly_one_of_eight_concurrent_uploads(alice, tmp_path):
    wheel = [path for path in build_project(tmp_path, "once", "1.0") if path.suffix == ".whl"]
    token = alice.create_token("once", single_use=True)["token"]
    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(lambda _: twine_upload(alice.gatehouse, token, wheel), range(RACERS)))
    winners = [done for done in results if done.returncode == 0]
    assert len(winners) == 1, [_said(done) for done in results]
    refusal = (f"403 Forbidden from {alice.gatehouse.url}/legacy/ "
               "Invalid API Token: the token has been revoked or does not exist.")
    assert all(refusal in _said(done) for done in results if done.returncode != 0)


def test_a_consumed_single_use_token_is_refused_afterwards(alice, tmp_path):
    files = build_project(tmp_path, "once-more", "1.0")
    token = alice.create_token("once-more", single_use=True)["token"]
    assert twine_upload(alice.gatehouse, token, files[:1]).returncode == 0
    done = twine_upload(alice.gatehouse, token, files[1:])
    assert done.returncode != 0 and "the token has been revoked or does not exist." in _said(done)


def test_an_upload_refused_after_authentication_leaves_a_single_use_token_usable(alice, tmp_path):
    published = build_project(tmp_path / "a", "held", "1.0")
    rebuilt = build_project(tmp_path / "b", "held", "1.0", marker="changed")  # same names, other bytes
    assert twine_upload(alice.gatehouse, alice.create_token("held")["token"], published[:1]).returncode == 0
    token = alice.create_token("held-once", single_use=True)["token"]

    refused = twine_upload(alice.gatehouse, token, rebuilt[:1])  # the file name is taken: refused
    assert refused.returncode != 0 and "File already exists" in _said(refused)
    assert twine_upload(alice.gatehouse, token, published[1:]).returncode == 0, "the refusal burnt the token"
    again = twine_upload(alice.gatehouse, token, rebuilt[1:])
    assert again.returncode != 0 and "the token has been revoked or does not exist." in _said(again)
