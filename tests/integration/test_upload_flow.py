"""The spine's flow: operator creates alice, she logs in, makes a token, uploads with twine,
and her account's and project's security logs show all of it within 2 seconds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.integration.flow import build_project, twine_upload

EXPECTED_PROJECT_TAGS = {"project:project:created", "project:release:created", "file:file:added"}


@pytest.fixture(scope="module")
def uploaded(alice, tmp_path_factory):
    token = alice.create_token("ci")
    files = build_project(tmp_path_factory.mktemp("build"), "demo-spine", "1.0")
    done = twine_upload(alice.gatehouse, token["token"], files)
    return {"token": token, "files": files, "twine": done}


def test_twine_upload_of_wheel_and_sdist_is_accepted(uploaded):
    assert uploaded["twine"].returncode == 0, uploaded["twine"].stdout + uploaded["twine"].stderr
    assert {path.suffix for path in uploaded["files"]} == {".whl", ".gz"}


def test_the_token_is_a_prefixed_macaroon(uploaded):
    assert uploaded["token"]["token"].startswith("gatehouse-")


def test_uploading_the_same_file_again_is_harmless(alice, uploaded):
    again = twine_upload(alice.gatehouse, uploaded["token"]["token"], uploaded["files"])
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_different_file_under_an_existing_name_is_refused(alice, uploaded, tmp_path):
    changed = build_project(tmp_path, "demo-spine", "1.0", marker="changed")
    wheel = [path for path in changed if path.suffix == ".whl"]
    done = twine_upload(alice.gatehouse, uploaded["token"]["token"], wheel)
    assert done.returncode != 0
    said = " ".join((done.stdout + done.stderr).split())  # twine wraps long lines
    # twine prints "HTTPError: 400 Bad Request from <url>" and then the reason phrase.
    reason = f"400 Bad Request from {alice.gatehouse.url}/legacy/ File already exists ('demo_spine-1.0-py3-none-any.whl')."
    assert reason in said, said


def test_alice_owns_the_new_project(alice, uploaded):
    events = alice.wait_for_events("projects", "demo-spine", {"project:role:added"})
    roles = [event for event in events if event["tag"] == "project:role:added"]
    assert roles and roles[0]["additional"]["role"] == "Owner"
    assert roles[0]["additional"]["username"] == "alice"


def test_security_logs_show_the_flow_within_two_seconds(alice, uploaded):
    user_log = alice.wait_for_events("users", "alice", {"account:login:success", "account:api_token:added"})
    names = sorted(p.name for p in uploaded["files"])
    project_log = alice.wait_for_log(  # within the 2 seconds: every tag and both files
        "projects", "demo-spine",
        lambda log: EXPECTED_PROJECT_TAGS <= {e["tag"] for e in log}
        and sorted(e["additional"]["filename"] for e in log if e["tag"] == "file:file:added") == names)
    assert {"account:login:success", "account:api_token:added"} <= {event["tag"] for event in user_log}
    assert EXPECTED_PROJECT_TAGS <= {event["tag"] for event in project_log}
    files = [event for event in project_log if event["tag"] == "file:file:added"]
    assert sorted(event["additional"]["filename"] for event in files) == sorted(p.name for p in uploaded["files"])
    over_http = [e for e in user_log + project_log if e["tag"] != "account:user:created"]  # the CLI's is "local"
    for event in over_http:
        assert event["time"] and event["ip_address"] == "127.0.0.1" and event["user_agent"]


def test_upload_events_name_the_token_and_the_uploader(alice, uploaded):
    project_log = alice.wait_for_events("projects", "demo-spine", EXPECTED_PROJECT_TAGS)
    files = [event for event in project_log if event["tag"] == "file:file:added"]
    assert {event["actor"]["token_id"] for event in files} == {uploaded["token"]["id"]}
    assert {event["actor"]["user"] for event in files} == {"alice"}
    assert all("twine" in event["user_agent"] for event in files)


def test_operator_query_shows_the_project_history(alice, uploaded):
    alice.wait_for_events("projects", "demo-spine", EXPECTED_PROJECT_TAGS)
    done = alice.gatehouse.cli("audit", "query", "--project", "demo-spine", "--json")
    assert done.returncode == 0, done.stderr
    tags = {json.loads(line)["tag"] for line in done.stdout.splitlines() if line.strip()}
    assert EXPECTED_PROJECT_TAGS <= tags


def test_no_secret_reaches_the_logs_or_the_events(alice, uploaded):
    alice.wait_for_events("projects", "demo-spine", EXPECTED_PROJECT_TAGS)
    exported = alice.gatehouse.cli("audit", "query", "--json", "--limit", "1000").stdout
    assert exported.strip()
    service_logs = "".join(path.read_text() for path in (alice.gatehouse.data_dir / "logs").glob("*.log"))
    macaroon = uploaded["token"]["token"].removeprefix("gatehouse-")
    for secret in (macaroon, alice.password, alice.http.cookies.get("gatehouse_session")):
        assert secret not in exported
        assert secret not in service_logs


def test_pip_downloads_what_was_uploaded(alice, uploaded, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--only-binary", ":all:",
         "--index-url", f"{alice.gatehouse.url}/simple/", "-d", str(tmp_path), "demo-spine==1.0"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheel = next(path for path in uploaded["files"] if path.suffix == ".whl")
    assert (tmp_path / wheel.name).read_bytes() == wheel.read_bytes()
