"""The bundled list of common and breached passwords, loaded once, on first use.

Two offline sources, both shipped with the code (nothing is fetched at run time): the ~30,000
most common passwords of the leaked-password corpora that zxcvbn (a dependency) ranks by
frequency, and `data/common_passwords.txt`, where operators may append their own entries.
"""

from __future__ import annotations

import functools
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from services.identity.domain.password_rules import parse_common_passwords

BUNDLED_LIST = Path(__file__).resolve().parents[1] / "data" / "common_passwords.txt"
# The name of zxcvbn's frequency list of passwords (the others are names and English words).
ZXCVBN_PASSWORDS = "passwords"


def load_common_passwords(path: Path = BUNDLED_LIST) -> frozenset[str]:
    """The lower-cased entries of zxcvbn's password list and of the list at `path`.
    Raises OSError when `path` cannot be read."""
    listed = parse_common_passwords(path.read_text(encoding="utf-8"))
    return listed | frozenset(entry.lower() for entry in FREQUENCY_LISTS[ZXCVBN_PASSWORDS])


@functools.cache
def bundled_common_passwords() -> frozenset[str]:
    """`load_common_passwords()` of the bundled list, read once per process (on first call, so
    processes that never check a password do not pay for it). Raises OSError as it does."""
    return load_common_passwords()
