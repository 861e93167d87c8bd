"""Nothing half-done (issue 8): a client that goes away mid-body, or an uploads service killed
mid-upload, leaves no file (none in files/.incoming either), no release, no project and no event
claiming success; two concurrent uploads of one filename with different content: exactly one wins."""

from __future__ import annotations

import os
import signal

import pytest
import requests

from tests.integration.flow import build_project, twine_upload
from tests.integration.raw_upload import (
    RawUpload, incoming_files, multipart, stored_files, wait_until, wheel_fields,
)


@pytest.fixture(scope="module")
def token(alice):
    return alice.create_token("interrupted-uploads")["token"]


def _wheel(tmp_path, name: str, marker: str = ""):
    # Big enough that the gateway streams most of it before the body ends (its multipart reader
    # reads ahead): about 300 KB.
    files = build_project(tmp_path, name, "1.0", marker, filler=600_000)
    return next(path for path in files if path.suffix == ".whl")


def _start_upload(gatehouse, token: str, wheel, name: str, filename: str = "") -> RawUpload:
    content = wheel.read_bytes() + b"\0" * 200_000  # room to stop half-way (the digest is then wrong anyway)
    content_type, body = multipart(wheel_fields(wheel, name, "1.0"), filename or wheel.name, content)
    upload = RawUpload(gatehouse.url, token, content_type, body)
    upload.send(len(body) // 2)
    assert wait_until(lambda: incoming_files(gatehouse.data_dir)), "the uploads service never began receiving"
    return upload


def _assert_nothing_of(alice, name: str, marker_project: str) -> None:
    """No file, no project, no success event of `name` (after a later upload of `marker_project`
    has reached the security log, so the log is not merely behind)."""
    gatehouse = alice.gatehouse
    assert requests.get(f"{gatehouse.url}/simple/{name}/", timeout=10).status_code == 404
    prefix = name.replace("-", "_") + "-"
    assert [path for path in stored_files(gatehouse.data_dir, "") if path.name.startswith(prefix)] == []
    alice.wait_for_events("projects", marker_project, {"file:file:added"}, timeout=30)
    exported = gatehouse.cli("audit", "query", "--project", name, "--json").stdout
    assert "file:file:added" not in exported and "project:project:created" not in exported


def test_a_client_gone_mid_body_leaves_nothing(alice, token, tmp_path):
    wheel = _wheel(tmp_path, "gone-client")
    upload = _start_upload(alice.gatehouse, token, wheel, "gone-client")
    upload.abandon()
    assert wait_until(lambda: not incoming_files(alice.gatehouse.data_dir)), incoming_files(alice.gatehouse.data_dir)
    marker = build_project(tmp_path, "after-gone-client", "1.0")
    assert twine_upload(alice.gatehouse, token, marker).returncode == 0
    _assert_nothing_of(alice, "gone-client", "after-gone-client")
    assert incoming_files(alice.gatehouse.data_dir) == []


def test_an_uploads_service_killed_mid_upload_leaves_nothing(alice, token, tmp_path):
    gatehouse = alice.gatehouse
    wheel = _wheel(tmp_path, "killed-service")
    upload = _start_upload(gatehouse, token, wheel, "killed-service")
    os.kill(gatehouse.pids()["uploads"], signal.SIGKILL)
    status, _ = upload.response()
    assert status >= 500
    gatehouse.wait_healthy(60)
    assert wait_until(lambda: not incoming_files(gatehouse.data_dir), 30), incoming_files(gatehouse.data_dir)
    marker = build_project(tmp_path, "after-killed-service", "1.0")
    done = twine_upload(gatehouse, token, marker)
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_nothing_of(alice, "killed-service", "after-killed-service")


def test_two_concurrent_uploads_of_one_filename_let_exactly_one_win(alice, token, tmp_path):
    gatehouse = alice.gatehouse
    first, second = _wheel(tmp_path, "race-demo", "one"), _wheel(tmp_path, "race-demo", "two")
    assert first.name == second.name and first.read_bytes() != second.read_bytes()
    uploads = []
    for wheel in (first, second):
        content_type, body = multipart(wheel_fields(wheel, "race-demo", "1.0"), wheel.name, wheel.read_bytes())
        uploads.append(RawUpload(gatehouse.url, token, content_type, body))
        uploads[-1].send(len(body) - 100)
    assert wait_until(lambda: len(incoming_files(gatehouse.data_dir)) == 2), incoming_files(gatehouse.data_dir)
    for upload in uploads:
        upload.send()  # both finish together
    answers = [upload.response() for upload in uploads]
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 400], answers
    refused = next(text for status, text in answers if status == 400)
    assert f"File already exists ('{first.name}')" in refused
    stored = stored_files(gatehouse.data_dir, first.name)
    assert len(stored) == 1 and stored[0].read_bytes() in (first.read_bytes(), second.read_bytes())
    served = requests.get(f"{gatehouse.url}/simple/race-demo/", timeout=10)
    assert served.text.count(f">{first.name}</a>") == 1
    assert incoming_files(gatehouse.data_dir) == []
