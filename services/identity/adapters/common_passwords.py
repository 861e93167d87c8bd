"""The bundled list of common and breached passwords (`data/common_passwords.txt`), read once at start-up."""

from __future__ import annotations

from pathlib import Path

from services.identity.domain.password_rules import parse_common_passwords

BUNDLED_LIST = Path(__file__).resolve().parents[1] / "data" / "common_passwords.txt"


def load_common_passwords(path: Path = BUNDLED_LIST) -> frozenset[str]:
    """The lower-cased entries of the list at `path`. Raises OSError when it cannot be read."""
    return parse_common_passwords(path.read_text(encoding="utf-8"))
