"""The protos pass `buf lint` (npm package @bufbuild/buf, installed by `make test` into .tools/)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUF = ROOT / ".tools" / "node_modules" / ".bin" / "buf"


def test_protos_pass_buf_lint():
    if not BUF.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("buf is not installed; `make test` installs it with npm")
        pytest.skip("buf is not installed (needs npm)")
    done = subprocess.run([str(BUF), "lint"], cwd=ROOT / "proto", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_event_message_is_registered():
    from gatehouse.eventstore.registry import EVENT_TYPES

    declared = set()
    for path in (ROOT / "proto" / "gatehouse" / "events" / "v1").glob("*.proto"):
        if path.name == "envelope.proto":
            continue
        declared |= {line.split()[1] for line in path.read_text().splitlines() if line.startswith("message ")}
    assert declared == set(EVENT_TYPES)
