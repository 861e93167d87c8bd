"""The core metadata inside an archive (a wheel's METADATA, an sdist's PKG-INFO) must name the
project and version the upload claims."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from services.uploads.adapters.archives.problems import ArchiveProblem
from services.uploads.domain.errors import InvalidMetadata
from services.uploads.domain.metadata import check_core_metadata as check_core_metadata_rules


@dataclass(frozen=True)
class Expected:
    """What the upload says the archive is: its filename and the form's name and version."""

    filename: str
    name: str
    version: str


def validate_core_metadata(content: bytes, member: str, expected: Expected) -> None:
    """THE single place where a wheel's METADATA gets the full validation the form's metadata
    gets (domain/metadata.py). An sdist's PKG-INFO is held only to name and version, as PyPI
    does: build back-ends write it for installers, and PyPI has never refused on it.
    Raises ArchiveProblem."""
    if not member.endswith(".dist-info/METADATA"):
        return
    raw, _unparsed = parse_email(content)
    try:
        check_core_metadata_rules(raw)
    except InvalidMetadata as error:
        raise ArchiveProblem(f"its {member} is not valid core metadata: {error.message.rstrip('.')}") from None


def _field(raw: dict, field: str, member: str) -> str:
    value = raw.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ArchiveProblem(f"its {member} has no single valid {field.capitalize()} field")
    return value


def check_core_metadata(content: bytes, member: str, expected: Expected) -> None:
    """Raises ArchiveProblem unless `content` parses as core metadata whose Name and Version agree
    with the upload's (names compared normalized, versions by PEP 440 equality)."""
    raw, _unparsed = parse_email(content)
    name, version = _field(raw, "name", member), _field(raw, "version", member)
    if canonicalize_name(name) != canonicalize_name(expected.name):
        raise ArchiveProblem(f"its {member} names the project {name!r}, not {expected.name!r}")
    try:
        same_version = Version(version) == Version(expected.version)
    except InvalidVersion:
        raise ArchiveProblem(f"its {member} has the invalid version {version!r}") from None
    if not same_version:
        raise ArchiveProblem(f"its {member} has version {version!r}, not {expected.version!r}")
    validate_core_metadata(content, member, expected)
