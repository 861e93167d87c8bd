"""A wheel's RECORD: a UTF-8 CSV of `path,algorithm=digest,size` listing every member once
(except RECORD itself and its signatures), each with sha256 or a stronger digest. The digests
are computed while the members are CRC-read, in the same pass."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import hmac
import re
from dataclasses import dataclass

from services.uploads.adapters.archives.members import check_member_name, shown
from services.uploads.adapters.archives.problems import ArchiveProblem

STRONG_ALGORITHMS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b"})
SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_DIGEST = re.compile(r"[A-Za-z0-9_-]+")
MAX_WARNINGS = 20


@dataclass(frozen=True)
class RecordRow:
    """One RECORD line: a member, its digest and its size (None for RECORD and signatures)."""

    path: str
    algorithm: str
    digest: bytes
    size: int | None


def _digest_of(path: str, value: str) -> tuple[str, bytes]:
    algorithm, _, encoded = value.partition("=")
    if algorithm not in STRONG_ALGORITHMS:
        raise ArchiveProblem(f"its RECORD gives {shown(path)} the digest algorithm {algorithm or 'none'!r}; "
                             "sha256 or stronger is required")
    expected_length = hashlib.new(algorithm).digest_size
    try:
        digest = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        digest = b""
    if not _DIGEST.fullmatch(encoded) or len(digest) != expected_length:
        raise ArchiveProblem(f"its RECORD has a malformed digest for {shown(path)}")
    return algorithm, digest


def _row(fields: list[str], exempt: set[str]) -> RecordRow:
    if len(fields) != 3:
        raise ArchiveProblem("its RECORD has a line without exactly three fields")
    path, value, size = fields
    normalized = check_member_name(path)
    if normalized in exempt and not value:
        return RecordRow(normalized, "", b"", None)
    if not size.isdigit() or not size.isascii():
        raise ArchiveProblem(f"its RECORD has a malformed size for {shown(path)}")
    return RecordRow(normalized, *_digest_of(path, value), int(size))


def parse_record(content: bytes, exempt: set[str]) -> list[RecordRow]:
    """The rows of RECORD. `exempt` (RECORD and its signatures) may go without digest and size.
    Raises ArchiveProblem for a RECORD that is not UTF-8 CSV or a malformed or weak row."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveProblem("its RECORD is not valid UTF-8") from None
    try:
        return [_row(fields, exempt) for fields in csv.reader(text.splitlines()) if fields]
    except csv.Error:
        raise ArchiveProblem("its RECORD is not valid CSV") from None


class RecordCheck:
    """RECORD against the members as they are read. A mismatch is refused at once, or (with
    `warn`) kept as a warning."""

    def __init__(self, rows: list[RecordRow], exempt: set[str], warn: bool):
        self._rows: dict[str, RecordRow] = {}
        self._exempt, self._warn = exempt, warn
        self.warnings: list[str] = []
        self.unlisted = 0  # mismatches past MAX_WARNINGS: counted, not kept
        for row in rows:
            if row.path in self._rows:
                self._mismatch(f"its RECORD lists {row.path!r} more than once")
            self._rows[row.path] = row

    def _mismatch(self, problem: str) -> None:
        if not self._warn:
            raise ArchiveProblem(problem)
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(problem)
        else:
            self.unlisted += 1

    def hasher_for(self, name: str):
        """A new hash object for the member's RECORD digest, or None when there is none to check."""
        row = self._rows.get(name)
        if name in self._exempt or row is None:
            return None
        return hashlib.new(row.algorithm)

    def verify(self, name: str, hasher, size: int) -> None:
        """Compares the member with its RECORD row. Raises ArchiveProblem for a mismatch (refuse)."""
        row = self._rows.get(name)
        if name in self._exempt:
            return
        if row is None:
            return self._mismatch(f"the member {shown(name)} is not listed in its RECORD")
        if row.size != size:
            return self._mismatch(f"its RECORD gives {shown(name)} the size {row.size}, not {size}")
        if not hmac.compare_digest(hasher.digest(), row.digest):
            return self._mismatch(f"the {row.algorithm} digest of {shown(name)} disagrees with its RECORD")
        return None

    def finish(self, member_names: set[str]) -> list[str]:
        """The warnings, after checking that RECORD lists no member the archive lacks.
        Raises ArchiveProblem for such a row (refuse)."""
        for path in sorted(self._rows.keys() - member_names - self._exempt):
            self._mismatch(f"its RECORD lists {shown(path)}, which the wheel does not contain")
        return self.warnings
