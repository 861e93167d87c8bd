"""Project names: PyPI's syntax, PEP 503 normalization and the names nobody may register."""

from __future__ import annotations

import re
import sys

from packaging.utils import canonicalize_name

from services.uploads.domain.errors import InvalidProjectName, ProhibitedProjectName, ProjectNameTooSimilar

PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)

# A project named like a standard-library module would shadow it for anyone who
# `pip install`s it by mistake (the typosquatting PyPI guards against).
_STDLIB_NAMES = frozenset(canonicalize_name(module) for module in sys.stdlib_module_names)
# Letters that look alike in most fonts, folded together so look-alike names collide.
_CONFUSABLE = str.maketrans({".": None, "_": None, "-": None, "l": "1", "i": "1", "o": "0"})


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name."""
    return canonicalize_name(name)


def check_project_name(name: str) -> None:
    """Raises InvalidProjectName unless `name` follows PyPI's project-name syntax."""
    if not PROJECT_NAME.match(name):
        raise InvalidProjectName(
            "Invalid value for name. Error: Start and end with a letter or numeral "
            "containing only ASCII numeric and '.', '_' and '-'."
        )


def check_name_allowed(name: str) -> None:
    """Raises ProhibitedProjectName for the name of a Python standard-library module."""
    if normalize(name) in _STDLIB_NAMES:
        raise ProhibitedProjectName(f"The name '{name}' isn't allowed.")


def fold_confusable(name: str) -> str:
    """The name with separators dropped and look-alike letters folded (l and i to 1, o to 0),
    so that `foo-bar`, `Foo.Bar`, `f0obar` and `fooba_r` all fold to `f00bar`."""
    return name.lower().translate(_CONFUSABLE)


def check_not_prohibited(name: str, prohibited: frozenset[str]) -> None:
    """Raises ProhibitedProjectName when the name folds like one on the operator's list
    (`prohibited` holds folded names)."""
    if fold_confusable(name) in prohibited:
        raise ProhibitedProjectName(f"The name '{name}' isn't allowed.")


def check_not_too_similar(name: str, existing: str | None, origin: str) -> None:
    """Raises ProjectNameTooSimilar when `existing` (a project whose name folds like this
    one, or None) is another project."""
    if existing is not None and normalize(existing) != normalize(name):
        raise ProjectNameTooSimilar(
            f"The name '{name}' is too similar to an existing project. "
            f"See {origin}/help/#project-name for more information."
        )
