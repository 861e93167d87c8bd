"""Builds the package the way the Dockerfile does: from a copy of what it copies, so that no
local build directory or stray file can hide a missing one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the Dockerfile's build stage copies (the protobuf modules are generated in the copy).
COPIED = ("pyproject.toml", "proto", "gatehouse", "services", "gateway")
GENERATED = ("common", "events", "identity", "mfa", "tokens", "uploads", "audit")


def build_wheel(scratch: Path) -> Path:
    """The wheel of a clean copy of the tree, its protobuf modules generated; raises on failure."""
    source = scratch / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    source.mkdir(parents=True)
    for name in COPIED:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    for package in GENERATED:  # left out: generated again below, as the image build does
        shutil.rmtree(source / "gatehouse" / package / "v1", ignore_errors=True)
    protos = sorted(str(path.relative_to(source)) for path in (source / "proto").rglob("*.proto"))
    _run([sys.executable, "-m", "grpc_tools.protoc", "-Iproto", "--python_out=.", "--grpc_python_out=.", *protos], source)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(scratch), "."], source)
    return next(scratch.glob("gatehouse-*.whl"))


def _run(command: list[str], directory: Path) -> None:
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {done.stderr}")
