"""The Security history pages: events in words, time, IP, device, who; 90 days with older
pages reachable; a project's page for its maintainers; the download of one's own log."""

from __future__ import annotations

import subprocess
import sys

from tests.integration.flow import build_project, twine_upload


def test_account_history_shows_events_in_words_with_device_and_export_link(alice, gatehouse):
    alice.wait_for_events("users", "alice", {"account:login:success"}, timeout=10)
    page = alice.http.get(f"{gatehouse.url}/account/security-history")
    assert page.status_code == 200
    assert "Logged in" in page.text and "account:login:success" in page.text  # sentence, tag as title
    assert "127.0.0.1" in page.text and "gatehouse-tests 1.0" in page.text
    assert "/api/v1/users/alice/events/export" in page.text
    assert "The last 90 days" in page.text and "?older=1" in page.text
    older = alice.http.get(f"{gatehouse.url}/account/security-history", params={"older": "1"})
    assert older.status_code == 200 and "No events older than 90 days" in older.text


def test_project_history_page_for_a_maintainer_only(alice, gatehouse, tmp_path, http):
    token = alice.create_token("pages-upload")
    upload = twine_upload(gatehouse, token["token"], build_project(tmp_path, "history-demo", "1.0"))
    assert upload.returncode == 0, upload.stdout + upload.stderr
    alice.wait_for_events("projects", "history-demo", {"file:file:added"}, timeout=20)
    page = alice.http.get(f"{gatehouse.url}/projects/history-demo/security-history")
    assert page.status_code == 200
    assert "history_demo-1.0" in page.text and "twine" in page.text
    stranger = http.get(f"{gatehouse.url}/projects/history-demo/security-history", allow_redirects=False)
    assert stranger.status_code in (303, 401, 403)


def test_the_history_page_serves_the_script_that_verifies_the_download(alice, gatehouse, tmp_path):
    page = alice.http.get(f"{gatehouse.url}/account/security-history")
    assert 'href="/security/verify_export.py"' in page.text
    script = tmp_path / "verify_export.py"
    script.write_bytes(alice.http.get(f"{gatehouse.url}/security/verify_export.py").content)
    log = alice.http.get(f"{gatehouse.url}/api/v1/users/alice/events/export")
    assert log.status_code == 200
    checked = subprocess.run([sys.executable, "-I", str(script)], input=log.text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK: ") and " 0 events" not in checked.stdout
