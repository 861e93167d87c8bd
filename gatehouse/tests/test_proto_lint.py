"""`buf lint` over proto/ (STANDARD rules), using the buf that `make test` installs from npm."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / ".tools" / "node_modules" / ".bin" / "buf"


def test_protos_pass_buf_lint():
    if not BUF.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("buf is missing: `make test` installs it with npm into .tools/")
        pytest.skip("buf is not installed (npm install --prefix .tools @bufbuild/buf)")
    result = subprocess.run([str(BUF), "lint"], cwd=ROOT / "proto", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
