"""The Dockerfile, read without Docker: a multi-stage build whose image runs as an unprivileged
user with one entry point per process, and the package it installs carries every file the
processes read at run time (templates, static files, OpenAPI document, migrations)."""

from __future__ import annotations

import importlib.util
import shlex
import zipfile
from pathlib import Path

import pytest

from gatehouse.settings import SERVICES
from tests.image_build import build_wheel

ROOT = Path(__file__).resolve().parents[1]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in joined]


def stages(parsed: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, in order (each begins with its FROM)."""
    found: list[list[tuple[str, str]]] = []
    for instruction, arguments in parsed:
        if instruction == "FROM":
            found.append([])
        if found:
            found[-1].append((instruction, arguments))
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions((ROOT / "Dockerfile").read_text())


def test_the_build_has_a_build_stage_and_a_runtime_stage_from_a_pinned_python_slim_image(dockerfile):
    arguments = dict(a.split("=", 1) for i, a in dockerfile if i == "ARG" and "=" in a)
    base = arguments["PYTHON_IMAGE"]
    assert base.startswith("python:3.") and "-slim" in base and not base.endswith(":latest")
    built = stages(dockerfile)
    assert [stage[0][1] for stage in built] == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    runtime = built[-1]
    assert ("COPY", "--from=build /opt/gatehouse /opt/gatehouse") in runtime
    assert not any(instruction == "RUN" and "pip install" in arguments for instruction, arguments in runtime)


def test_the_protos_are_generated_and_the_package_installed_in_the_build_stage(dockerfile):
    build = " ".join(arguments for instruction, arguments in stages(dockerfile)[0] if instruction == "RUN")
    assert "grpc_tools.protoc" in build and "--grpc_python_out" in build
    assert "pip install --no-deps ." in build and "compileall" in build


def test_the_image_runs_as_an_unprivileged_numeric_user(dockerfile):
    runtime = stages(dockerfile)[-1]
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    assert len(users) == 1
    user, _, group = users[0].partition(":")
    assert user.isdigit() and int(user) >= 1000 and group.isdigit() and int(group) >= 1000
    # The USER comes after everything that needs root in that stage.
    last_run = max(index for index, (instruction, _) in enumerate(runtime) if instruction == "RUN")
    assert [index for index, (instruction, _) in enumerate(runtime) if instruction == "USER"][0] > last_run


def test_the_environment_suits_a_read_only_root_file_system(dockerfile):
    environment = " ".join(arguments for instruction, arguments in stages(dockerfile)[-1] if instruction == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in environment
    assert "GATEHOUSE_DATA=/var/lib/gatehouse" in environment
    assert "GATEHOUSE_HOST=0.0.0.0" in environment and "GATEHOUSE_LISTEN_ADDRESS=[::]:50051" in environment


def test_one_entry_point_serves_the_gateway_and_every_service(dockerfile):
    runtime = dict(stages(dockerfile)[-1])
    assert shlex.split(runtime["ENTRYPOINT"].replace(",", " ").strip("[]")) == ["python", "-m"]
    assert runtime["CMD"] == '["gateway"]'
    for module in ["gateway", *(f"services.{name}" for name in SERVICES)]:
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module


def test_the_build_context_leaves_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", "tests"} <= set(ignored)


def test_the_installed_package_carries_every_file_read_at_run_time(tmp_path):
    names = set(zipfile.ZipFile(build_wheel(tmp_path)).namelist())
    needed = [*ROOT.glob("gateway/templates/*.html"), *ROOT.glob("gateway/static/*"), ROOT / "gateway" / "openapi.json",
              *ROOT.glob("services/*/adapters/migrations/env.py"), *ROOT.glob("services/*/adapters/migrations/versions/*.py"),
              ROOT / "services" / "audit" / "verify_export.py", ROOT / "gatehouse" / "events" / "v1" / "envelope_pb2.py"]
    missing = sorted(str(path.relative_to(ROOT)) for path in needed if str(path.relative_to(ROOT)) not in names)
    assert missing == []
