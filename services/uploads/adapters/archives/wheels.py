"""Wheels: a zip (checked by zips and zip_records) with exactly one `.dist-info` directory
matching the filename, holding WHEEL, METADATA and a RECORD that vouches for every member, and
an optional entry_points.txt. Every member is read once, in file order, its CRC and RECORD
digest computed in the same pass."""

from __future__ import annotations

import configparser
import email.parser
import re
from dataclasses import dataclass
from typing import BinaryIO

from packaging.tags import parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from services.uploads.adapters.archives import zips
from services.uploads.adapters.archives.core_metadata import Expected, check_core_metadata
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.members import shown
from services.uploads.adapters.archives.problems import ArchiveProblem
from services.uploads.adapters.archives.records import SIGNATURES, RecordCheck, parse_record
from services.uploads.adapters.archives.zip_records import ZipEntry

_WHEEL_VERSION = re.compile(r"1\.\d+")
_SCRIPT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
SCRIPT_SECTIONS = ("console_scripts", "gui_scripts")


@dataclass(frozen=True)
class WheelReport:
    """The wheel's METADATA bytes and the RECORD mismatches let through as warnings (the first
    MAX_WARNINGS; `unlisted` counts the others)."""

    metadata: bytes
    warnings: list[str]
    unlisted: int = 0


def find_dist_info(members: dict[str, ZipEntry], filename: str) -> str:
    """The one top-level `.dist-info` directory, whose name and version match the filename.
    Raises ArchiveProblem when there is none, several, or one naming another release."""
    found = {name.split("/")[0] for name in members if name.split("/")[0].endswith(".dist-info")}
    if len(found) != 1:
        raise ArchiveProblem(f"it has {len(found) or 'no'} .dist-info directories; a wheel has exactly one")
    dist_info = found.pop()
    name, version, _build, _tags = parse_wheel_filename(filename)
    parts = dist_info.removesuffix(".dist-info").split("-")
    try:
        matches = len(parts) == 2 and canonicalize_name(parts[0]) == name and Version(parts[1]) == version
    except InvalidVersion:
        matches = False
    if not matches:
        raise ArchiveProblem(f"its directory '{dist_info}' does not match the filename")
    return dist_info


def check_wheel_file(content: bytes, filename: str) -> None:
    """Raises ArchiveProblem unless WHEEL has one `Wheel-Version: 1.x` and Tag lines naming
    exactly the filename's tags."""
    try:
        fields = email.parser.Parser().parsestr(content.decode("utf-8"), headersonly=True)
    except UnicodeDecodeError:
        raise ArchiveProblem("its WHEEL file is not valid UTF-8") from None
    versions = fields.get_all("Wheel-Version") or []
    if len(versions) != 1 or not _WHEEL_VERSION.fullmatch(versions[0].strip()):
        raise ArchiveProblem("its WHEEL file does not declare a single Wheel-Version 1.x")
    try:
        declared = {tag for line in fields.get_all("Tag") or [] for tag in parse_tag(line.strip())}
    except ValueError:
        raise ArchiveProblem("its WHEEL file has a malformed Tag") from None
    if declared != set(parse_wheel_filename(filename)[3]):
        raise ArchiveProblem("the Tag lines of its WHEEL file disagree with the filename's tags")


def check_entry_points(content: bytes) -> None:
    """Raises ArchiveProblem unless entry_points.txt is UTF-8 INI whose script names are plain."""
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",), strict=True)
    parser.optionxform = str  # keep names as written
    try:
        parser.read_string(content.decode("utf-8"))
    except (UnicodeDecodeError, configparser.Error):
        raise ArchiveProblem("its entry_points.txt is not a valid INI file") from None
    for section in SCRIPT_SECTIONS:
        for name, value in parser.items(section) if parser.has_section(section) else ():
            if not _SCRIPT_NAME.fullmatch(name) or not value.strip():
                raise ArchiveProblem(f"its entry_points.txt declares the script name {shown(name)}, "
                                     "which is not a plain name")


def _stream_members(handle, members, record: RecordCheck, wanted: set[str], limits) -> dict[str, bytes]:
    contents: dict[str, bytes] = {}
    for name, entry in members.items():
        if entry.is_directory:  # read too: its (empty) data must not hide anything
            for _chunk in zips.member_chunks(handle, entry, limits.chunk_size):
                pass
            continue
        if name in wanted and entry.size > limits.max_small_member:
            raise ArchiveProblem(f"the member {shown(name)} is too large")
        hasher, kept = record.hasher_for(name), []
        for chunk in zips.member_chunks(handle, entry, limits.chunk_size):
            if hasher is not None:
                hasher.update(chunk)
            if name in wanted:
                kept.append(chunk)
        record.verify(name, hasher, entry.size)
        if name in wanted:
            contents[name] = b"".join(kept)
    return contents


def _required(members: dict[str, ZipEntry], dist_info: str, file: str) -> str:
    path = f"{dist_info}/{file}"
    if path not in members or members[path].is_directory:
        raise ArchiveProblem(f"it does not contain the required {file} file '{path}'")
    return path


def inspect_wheel(handle: BinaryIO, size: int, expected: Expected, limits: ArchiveLimits) -> WheelReport:
    """The METADATA bytes and RECORD warnings of a wheel that passed every rule.
    Raises ArchiveProblem."""
    members = zips.open_zip(handle, size, limits)
    dist_info = find_dist_info(members, expected.filename)
    wheel, metadata, record_path = (_required(members, dist_info, file) for file in ("WHEEL", "METADATA", "RECORD"))
    entry_points = f"{dist_info}/entry_points.txt"
    exempt = {record_path} | {f"{dist_info}/{signature}" for signature in SIGNATURES}
    rows = parse_record(zips.read_member(handle, members[record_path], limits), exempt)
    record = RecordCheck(rows, exempt, limits.warn_on_record_mismatch)
    contents = _stream_members(handle, members, record, {wheel, metadata, entry_points}, limits)
    warnings = record.finish({name for name, entry in members.items() if not entry.is_directory})
    check_wheel_file(contents[wheel], expected.filename)
    check_core_metadata(contents[metadata], "METADATA", expected)
    if entry_points in contents:
        check_entry_points(contents[entry_points])
    return WheelReport(contents[metadata], warnings, record.unlisted)
