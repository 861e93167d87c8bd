"""Real build outputs pass: a tiny project built with `python -m build` by setuptools, hatchling
and flit (wheel with entry points, and sdist), as maintainers will upload them."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from services.uploads.adapters.archives import inspect
from services.uploads.domain.filenames import Distribution

BACKENDS = {
    "setuptools": ('["setuptools>=68"]', "setuptools.build_meta", "setuptools"),
    "hatchling": ('["hatchling"]', "hatchling.build", "hatchling"),
    "flit": ('["flit_core>=3.4"]', "flit_core.buildapi", "flit_core"),
}


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{module} must be installed in CI (it is in the test extras)")
        pytest.skip(f"{module} is not installed")


def build(where, backend: str):
    requires, build_backend, module = BACKENDS[backend]
    _require(module)
    source = where / "src"
    (source / "tiny_demo").mkdir(parents=True)
    (source / "tiny_demo" / "__init__.py").write_text('"""A tiny project."""\n__version__ = "0.3"\n\ndef main():\n    pass\n')
    (source / "README.md").write_text("# tiny-demo\n")
    (source / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = {requires}
        build-backend = "{build_backend}"

        [project]
        name = "tiny-demo"
        version = "0.3"
        description = "A tiny project"
        readme = "README.md"
        requires-python = ">=3.9"

        [project.scripts]
        tiny-demo = "tiny_demo:main"
        """))
    out = where / "dist"
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    return sorted(out.iterdir())


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_real_build_outputs_pass(tmp_path, backend):
    files = build(tmp_path, backend)
    assert {path.suffix for path in files} == {".whl", ".gz"}
    for path in files:
        kind = "bdist_wheel" if path.suffix == ".whl" else "sdist"
        inspection = inspect(path, Distribution(path.name, kind, ""), "tiny-demo", "0.3")
        assert inspection.warnings == ()
        assert (inspection.metadata is not None) == (kind == "bdist_wheel")
