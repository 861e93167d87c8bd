"""Rules for member names, the same for zip and tar: what a name may look like, and that each
names one member only."""

from __future__ import annotations

import re
import unicodedata

from services.uploads.adapters.archives.problems import ArchiveProblem

MAX_COMPONENT_BYTES = 255
MAX_PATH_BYTES = 4096
_DRIVE = re.compile(r"[A-Za-z]:")


def shown(name: str | bytes, limit: int = 80) -> str:
    """The name quoted for a message, shortened when long (messages stay one readable sentence)."""
    text = repr(name)
    return text if len(text) <= limit else text[:limit - 5] + "...'"


def _text(raw: bytes | str) -> str:
    try:
        if isinstance(raw, bytes):
            return raw.decode("utf-8")
        raw.encode("utf-8")  # a str from tarfile carries undecodable bytes as surrogates
        return raw
    except UnicodeError:
        raise ArchiveProblem(f"the member name {shown(raw)} is not valid UTF-8") from None


def _check_characters(name: str) -> None:
    if any(unicodedata.category(character) == "Cc" for character in name):
        raise ArchiveProblem(f"the member name {shown(name)} contains a control character")
    if "\\" in name:
        raise ArchiveProblem(f"the member name {shown(name)} contains a backslash")
    if name.startswith("/"):
        raise ArchiveProblem(f"the member name {shown(name)} is an absolute path")
    if _DRIVE.match(name):
        raise ArchiveProblem(f"the member name {shown(name)} starts with a drive letter")
    if len(name.encode()) > MAX_PATH_BYTES:
        raise ArchiveProblem(f"a member name is longer than {MAX_PATH_BYTES} bytes")


def _components(name: str) -> list[str]:
    components = name.split("/")
    if len(components) > 1 and components[-1] == "":
        components.pop()  # the trailing slash of a directory
    for component in components:
        if component in ("", ".."):
            what = "an empty" if component == "" else "a '..'"
            raise ArchiveProblem(f"the member name {shown(name)} has {what} path component")
        if len(component.encode()) > MAX_COMPONENT_BYTES:
            raise ArchiveProblem(f"the member name {shown(name)} has a component longer than "
                                 f"{MAX_COMPONENT_BYTES} bytes")
    return [component for component in components if component != "."]


def check_member_name(raw: bytes | str) -> str:
    """The member's path with `./` components removed ("" for the archive's root).

    Raises ArchiveProblem for a name that is not UTF-8, is empty, has a control character, a
    backslash, a drive letter, a leading `/`, a `..` or empty component, a component over 255
    bytes or more than 4096 bytes in all.
    """
    name = _text(raw)
    if not name:
        raise ArchiveProblem("a member has an empty name")
    _check_characters(name)
    return "/".join(_components(name))


class UniqueNames:
    """The normalized names seen so far in one archive."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def add(self, normalized: str, original: str) -> None:
        """Raises ArchiveProblem when another member had the same normalized name."""
        if normalized in self._seen:
            raise ArchiveProblem(f"the member name {shown(original)} appears more than once")
        self._seen.add(normalized)

    def __contains__(self, normalized: str) -> bool:
        return normalized in self._seen
