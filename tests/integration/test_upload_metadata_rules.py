"""Metadata and project rules seen through real `twine upload`: a deprecated classifier is
refused naming its replacement, the second new project within the hour (limit lowered to 1 by
the instance's environment) is refused with 429 and the reason, and an operator raises a
project's size limits with `gatehouse admin project-limits`."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.integration.flow import Maintainer, twine_upload
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url


@dataclass
class RateLimitedGatehouse(Gatehouse):
    """An instance that lets a user create one project an hour."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "GATEHOUSE_PROJECTS_PER_USER_PER_HOUR": "1"}


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    database_url = postgres_base_url()
    instance = RateLimitedGatehouse(tmp_path_factory.mktemp("limited") / "data", nats.url, database_url)
    instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


def build_wheel(where: Path, name: str, classifiers: list[str]) -> list[Path]:
    """A real wheel built with `python -m build` from a setup.py project (setup.py, unlike a
    pyproject [project] table, lets a deprecated classifier through, as old projects do)."""
    source = where / f"{name}-src"
    (source / name.replace("-", "_")).mkdir(parents=True)
    (source / name.replace("-", "_") / "__init__.py").write_text("VALUE = 1\n")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n')
    (source / "setup.py").write_text(textwrap.dedent(f"""\
        from setuptools import setup
        setup(name={name!r}, version="1.0", packages=[{name.replace("-", "_")!r}],
              description="A project for Gatehouse's tests", long_description="Plain *text*.",
              long_description_content_type="text/markdown", classifiers={classifiers!r})
        """))
    out = where / f"dist-{name}"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    return sorted(out.iterdir())


def said(done: subprocess.CompletedProcess) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


@pytest.fixture(scope="module")
def token(alice: Maintainer) -> str:
    return alice.create_token("rules")["token"]


@pytest.fixture(scope="module")
def first_project(alice, token, tmp_path_factory):
    done = twine_upload(alice.gatehouse, token, build_wheel(tmp_path_factory.mktemp("first"), "rules-first",
                                                           ["Programming Language :: Python :: 3"]))
    assert done.returncode == 0, said(done)
    return "rules-first"


def test_a_deprecated_classifier_is_refused_naming_its_replacement(alice, token, first_project, tmp_path):
    done = twine_upload(alice.gatehouse, token,
                        build_wheel(tmp_path, "rules-deprecated", ["Natural Language :: Ukranian"]))
    assert done.returncode != 0
    # twine prints "HTTPError: 400 Bad Request from <url>" and then the reason phrase.
    expected = (f"400 Bad Request from {alice.gatehouse.url}/legacy/ Invalid value for Classifier. "
                "Error: The classifier 'Natural Language :: Ukranian' has been "
                "deprecated, use one of ['Natural Language :: Ukrainian'] instead.")
    assert expected in said(done), said(done)


def test_a_second_new_project_within_the_hour_is_rate_limited(alice, token, first_project, tmp_path):
    files = build_wheel(tmp_path, "rules-second", [])
    done = twine_upload(alice.gatehouse, token, files)
    assert done.returncode != 0
    expected = (f"429 Too Many Requests from {alice.gatehouse.url}/legacy/ Too many new projects created: "
                "at most 1 an hour per user. Try again in")
    assert expected in said(done), said(done)
    with files[0].open("rb") as content:  # the same refusal over plain HTTP carries Retry-After
        answer = requests.post(f"{alice.gatehouse.url}/legacy/", auth=("__token__", token), timeout=60,
                               data=_form("rules-second", files[0]), files={"content": (files[0].name, content)})
    assert answer.status_code == 429 and 0 < int(answer.headers["Retry-After"]) <= 3600
    events = alice.wait_for_events("users", "alice", {"project:upload:rejected"}, timeout=10)
    reasons = [event["additional"]["reason"] for event in events if event["tag"] == "project:upload:rejected"]
    assert any(reason.startswith("Too many new projects created") for reason in reasons)


def _form(name: str, wheel: Path) -> dict:
    return {":action": "file_upload", "protocol_version": "1", "name": name, "version": "1.0",
            "filetype": "bdist_wheel", "pyversion": "py3", "metadata_version": "2.1",
            "sha256_digest": hashlib.sha256(wheel.read_bytes()).hexdigest()}


def test_an_operator_raises_a_projects_size_limits(alice, first_project):
    done = alice.gatehouse.cli("admin", "project-limits", first_project, "--file-size", "200MiB",
                               "--project-size", "20GiB")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{first_project}: now {200 * 1024 ** 2} bytes per file, {20 * 1024 ** 3} bytes in total."
    events = alice.wait_for_events("projects", first_project, {"project:limits:changed"}, timeout=10)
    changed = next(event for event in events if event["tag"] == "project:limits:changed")
    assert changed["ip_address"] == "local"


def test_project_limits_of_an_unknown_project_are_refused(alice):
    done = alice.gatehouse.cli("admin", "project-limits", "no-such-project", "--file-size", "1GiB")
    assert done.returncode == 1 and "The project 'no-such-project' does not exist." in done.stderr
