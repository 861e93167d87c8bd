"""Staged releases and yanking with real clients (issue 8): `twine upload` with a staging-only
token puts the release in a stage pip cannot see; the maintainer checks the files' hashes and
downloads one, publishes over the API with a fresh second-factor login, and pip installs it; a
token allowed to `yank` yanks it, and pip then skips it unless it is pinned."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
import requests

from tests.integration.flow import build_project, twine_upload

NAME = "staged-demo"
API = f"/api/v1/projects/{NAME}"


def pip_install(gatehouse, requirement: str, target) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--disable-pip-version-check",
         "--target", str(target), "--index-url", f"{gatehouse.url}/simple/", requirement],
        capture_output=True, text=True, timeout=180,
    )


@pytest.fixture(scope="module")
def staged(alice, tmp_path_factory):
    token = alice.create_token("staging-ci", staging_only=True)["token"]
    files = build_project(tmp_path_factory.mktemp("staged"), NAME, "1.0")
    done = twine_upload(alice.gatehouse, token, files)
    assert done.returncode == 0, done.stdout + done.stderr
    return files


@pytest.fixture(scope="module")
def published(alice, staged):
    # alice's first session began before she had a second factor: publishing needs a login that
    # passed one.
    refused = alice.post(f"{API}/releases/1.0/publish", {})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "second_factor_required"
    alice.log_in()  # password, then a TOTP code
    answer = alice.post(f"{API}/releases/1.0/publish", {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_staged_release_is_invisible_to_pip(alice, staged, tmp_path):
    done = pip_install(alice.gatehouse, NAME, tmp_path / "site")
    assert done.returncode != 0
    assert "No matching distribution found" in done.stdout + done.stderr
    simple = requests.get(f"{alice.gatehouse.url}/simple/{NAME}/", timeout=10,
                          headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert simple.json()["files"] == [] and simple.json()["versions"] == []


def test_maintainers_see_the_staged_files_with_their_hashes_and_can_download_them(alice, staged):
    answer = alice.http.get(f"{alice.gatehouse.url}{API}/stages")
    assert answer.status_code == 200, answer.text
    (stage,) = answer.json()["stages"]
    listed = {entry["filename"]: entry for entry in stage["files"]}
    assert stage["version"] == "1.0" and set(listed) == {path.name for path in staged}
    for path in staged:
        content = path.read_bytes()
        assert listed[path.name]["hashes"]["sha256"] == hashlib.sha256(content).hexdigest()
        assert listed[path.name]["hashes"]["blake2b_256"] == hashlib.blake2b(content, digest_size=32).hexdigest()
        download = alice.http.get(f"{alice.gatehouse.url}{listed[path.name]['url']}")
        assert download.status_code == 200 and download.content == content
    anonymous = requests.get(f"{alice.gatehouse.url}{listed[staged[0].name]['url']}", timeout=10)
    assert anonymous.status_code == 401


def test_the_project_page_shows_the_stage_with_hashes_and_forms(alice, staged):
    page = alice.http.get(f"{alice.gatehouse.url}/projects/{NAME}/")
    assert page.status_code == 200 and "Staged releases" in page.text
    assert hashlib.sha256(staged[0].read_bytes()).hexdigest() in page.text
    assert f'action="/projects/{NAME}/releases/1.0/publish"' in page.text
    assert "Staged releases" not in requests.get(f"{alice.gatehouse.url}/projects/{NAME}/", timeout=10).text


def test_a_staged_file_is_not_served_by_the_public_files_route(alice, staged):
    stored = [path for path in (alice.gatehouse.data_dir / "files").rglob(staged[0].name)]
    (path,) = stored
    relative = path.relative_to(alice.gatehouse.data_dir / "files").as_posix()
    assert requests.get(f"{alice.gatehouse.url}/files/{relative}", timeout=10).status_code == 404


def test_an_api_token_cannot_publish(alice, staged):
    token = alice.create_token("cannot-publish")["token"]
    answer = requests.post(f"{alice.gatehouse.url}{API}/releases/1.0/publish",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code in (401, 403)


def test_publishing_makes_it_installable(alice, published, tmp_path):
    assert published["outcome"] == "published" and len(published["filenames"]) == 2
    done = pip_install(alice.gatehouse, NAME, tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert list((tmp_path / "site").glob("staged_demo-1.0.dist-info"))
    assert alice.http.get(f"{alice.gatehouse.url}{API}/stages").json()["stages"] == []


def test_a_yanked_release_is_skipped_unless_pinned(alice, published, tmp_path):
    token = alice.create_token("yanker", projects=[NAME], actions=["yank"])["token"]
    answer = requests.post(f"{alice.gatehouse.url}{API}/releases/1.0/yank", json={"reason": "broken build"},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["outcome"] == "yanked", answer.text
    simple = requests.get(f"{alice.gatehouse.url}/simple/{NAME}/", timeout=10,
                          headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert {entry["yanked"] for entry in simple["files"]} == {"broken build"}
    html = requests.get(f"{alice.gatehouse.url}/simple/{NAME}/", timeout=10).text
    assert html.count('data-yanked="broken build"') == 2
    unpinned = pip_install(alice.gatehouse, NAME, tmp_path / "unpinned")
    assert unpinned.returncode != 0, unpinned.stdout
    pinned = pip_install(alice.gatehouse, f"{NAME}==1.0", tmp_path / "pinned")
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr


def test_the_project_page_unyanks(alice, published):
    page = alice.http.get(f"{alice.gatehouse.url}/projects/{NAME}/")
    assert "broken build" in page.text and f'action="/projects/{NAME}/releases/1.0/unyank"' in page.text
    done = alice.http.post(f"{alice.gatehouse.url}/projects/{NAME}/releases/1.0/unyank",
                           data={"csrf_token": alice.csrf}, allow_redirects=True)
    assert done.status_code == 200 and done.url.endswith(f"/projects/{NAME}/")
    assert f'action="/projects/{NAME}/releases/1.0/yank"' in done.text
    simple = requests.get(f"{alice.gatehouse.url}/simple/{NAME}/", timeout=10).text
    assert "data-yanked" not in simple


def test_a_token_without_the_yank_action_cannot_yank(alice, published):
    token = alice.create_token("upload-only", actions=["upload"])["token"]
    answer = requests.post(f"{alice.gatehouse.url}{API}/releases/1.0/unyank",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 403 and "yank" in answer.json()["error"]["message"]


def test_the_security_log_tells_the_story(alice, published):
    wanted = {"project:release:staged", "file:file:staged", "project:release:published_from_stage"}
    log = alice.wait_for_events("projects", NAME, wanted, timeout=30)
    assert wanted <= {event["tag"] for event in log}
    assert "file:file:added" not in {event["tag"] for event in log}


def test_the_project_policy_stages_every_upload_and_a_discarded_name_stays_used(alice, tmp_path):
    token = alice.create_token("policy-ci")["token"]
    first = build_project(tmp_path, "policy-staged", "1.0")
    assert twine_upload(alice.gatehouse, token, first).returncode == 0
    turned_on = alice.http.put(f"{alice.gatehouse.url}/api/v1/projects/policy-staged/policies",
                               json={"require_staged_releases": True}, headers={"X-CSRF-Token": alice.csrf})
    assert turned_on.status_code == 200, turned_on.text
    second = build_project(tmp_path, "policy-staged", "2.0")
    done = twine_upload(alice.gatehouse, token, second)
    assert done.returncode == 0, done.stdout + done.stderr
    simple = requests.get(f"{alice.gatehouse.url}/simple/policy-staged/", timeout=10,
                          headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert simple["versions"] == ["1.0"]
    stages = alice.http.get(f"{alice.gatehouse.url}/api/v1/projects/policy-staged/stages").json()["stages"]
    assert [stage["version"] for stage in stages] == ["2.0"]
    discarded = alice.http.delete(f"{alice.gatehouse.url}/api/v1/projects/policy-staged/releases/2.0/stage",
                                  headers={"X-CSRF-Token": alice.csrf})
    assert discarded.status_code == 200 and discarded.json()["outcome"] == "discarded", discarded.text
    again = twine_upload(alice.gatehouse, token, second)
    assert again.returncode != 0 and "File already exists" in " ".join((again.stdout + again.stderr).split())
