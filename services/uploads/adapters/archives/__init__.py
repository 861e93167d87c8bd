"""Step 4 (archive): looking inside an uploaded distribution without extracting it, streaming
every member, and refusing anything a careful index would not serve.

One entry point, `inspect`. The readers raise ArchiveProblem (they do not know the filename);
`inspect` turns it, and any error a damaged archive provokes in a library, into the one
InvalidDistribution sentence twine shows.

Modules: `limits` (settings), `members` (name rules), `polyglot` (one format only),
`zip_records` (raw ZIP record walker), `zips` (zip members, CRCs), `gzips` (strict single-member
gzip), `tars` (tar members), `records` (wheel RECORD), `wheels`, `sdists`, `core_metadata`.
"""

from __future__ import annotations

import csv
import os
import struct
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from services.uploads.adapters.archives.core_metadata import Expected
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.problems import ArchiveProblem
from services.uploads.adapters.archives.sdists import inspect_sdist
from services.uploads.adapters.archives.wheels import inspect_wheel
from services.uploads.domain.errors import InvalidDistribution
from services.uploads.domain.filenames import Distribution

DEFAULT_LIMITS = ArchiveLimits()
# What a damaged archive can make the libraries raise (tarfile's header parsing, struct, zlib,
# packaging's parsers); each means "damaged", never a bug of ours worth a 500.
DAMAGED_ARCHIVE_ERRORS = (tarfile.TarError, zlib.error, struct.error, csv.Error, EOFError,
                          UnicodeError, ValueError, OverflowError)


@dataclass(frozen=True)
class Inspection:
    """What the archive check found: the wheel's METADATA (None for an sdist) for PEP 658, and
    warnings the upload carries (RECORD mismatches when GATEHOUSE_RECORD_MISMATCH=warn, each
    prefixed with the filename; `unlisted_warnings` counts those past the first twenty)."""

    metadata: bytes | None
    warnings: tuple[str, ...] = ()
    unlisted_warnings: int = 0


def inspect(
    path: Path, distribution: Distribution, name: str, version: str, limits: ArchiveLimits = DEFAULT_LIMITS
) -> Inspection:
    """Checks the archive at `path` against every archive rule (see the modules), for an upload
    whose form says project `name`, version `version`.

    Raises InvalidDistribution with one sentence naming the file and the problem.
    """
    expected = Expected(distribution.filename, name, version)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if distribution.packagetype == "bdist_wheel":
                report = inspect_wheel(handle, size, expected, limits)
                return Inspection(report.metadata, tuple(f"{distribution.filename}: {warning}"
                                                         for warning in report.warnings), report.unlisted)
            inspect_sdist(handle, size, expected, limits)
            return Inspection(None)
    except ArchiveProblem as problem:
        raise InvalidDistribution(
            f"Invalid distribution file '{distribution.filename}': {problem.problem}."
        ) from None
    except DAMAGED_ARCHIVE_ERRORS as error:
        raise InvalidDistribution(
            f"Invalid distribution file '{distribution.filename}': it is damaged or malformed."
        ) from error
