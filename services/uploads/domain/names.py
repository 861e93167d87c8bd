"""Project names: PyPI's syntax, PEP 503 normalization and the names nobody may register."""

from __future__ import annotations

import re
import sys

from packaging.utils import canonicalize_name

from services.uploads.domain.errors import InvalidProjectName, ProhibitedProjectName

PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)

# A project named like a standard-library module would shadow it for anyone who
# `pip install`s it by mistake (the typosquatting PyPI guards against).
_STDLIB_NAMES = frozenset(canonicalize_name(module) for module in sys.stdlib_module_names)


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
