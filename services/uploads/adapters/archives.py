"""Looking inside an uploaded archive without extracting it: is it the archive its name says,
and does it carry its core metadata? (Deeper validation comes with a later issue.)"""

from __future__ import annotations

import lzma
import tarfile
import zipfile
import zlib
from pathlib import Path

from services.uploads.domain.errors import InvalidDistribution
from services.uploads.domain.filenames import Distribution

# Core metadata is a few kilobytes; anything near this is an attack, not a description.
METADATA_LIMIT = 16 * 1024 * 1024
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
               NotImplementedError, zlib.error, lzma.LZMAError)
_TAR_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


def inspect(path: Path, distribution: Distribution) -> bytes | None:
    """The wheel's METADATA bytes (None for an sdist, which is only checked).

    Raises InvalidDistribution for a damaged archive or missing metadata.
    """
    if distribution.packagetype == "bdist_wheel":
        return read_wheel_metadata(path, distribution)
    check_sdist(path, distribution)
    return None


def read_wheel_metadata(path: Path, distribution: Distribution) -> bytes:
    """The `<name>-<version>.dist-info/METADATA` member of a wheel. Raises InvalidDistribution."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _metadata_member(archive, distribution)
    except _ZIP_ERRORS as error:
        raise InvalidDistribution(
            f"Invalid distribution file: '{distribution.filename}' is not a valid zip archive."
        ) from error


def _metadata_member(archive: zipfile.ZipFile, distribution: Distribution) -> bytes:
    try:
        info = archive.getinfo(distribution.metadata_member)
    except KeyError as error:
        raise InvalidDistribution(
            f"Wheel '{distribution.filename}' does not contain the required METADATA file: "
            f"{distribution.metadata_member}"
        ) from error
    with archive.open(info) as handle:
        content = handle.read(METADATA_LIMIT + 1)
    if len(content) > METADATA_LIMIT:
        raise InvalidDistribution(f"The METADATA file of '{distribution.filename}' is too large.")
    return content


def check_sdist(path: Path, distribution: Distribution) -> None:
    """Raises InvalidDistribution unless the sdist is a gzip tar with `<stem>/PKG-INFO`."""
    try:
        found = _has_member(path, distribution.metadata_member)
    except _TAR_ERRORS as error:
        raise InvalidDistribution(
            f"Invalid distribution file: '{distribution.filename}' is not a valid "
            "gzip-compressed tar archive."
        ) from error
    if not found:
        raise InvalidDistribution(
            f"The source distribution '{distribution.filename}' does not contain the required "
            f"PKG-INFO file: {distribution.metadata_member}"
        )


def _has_member(path: Path, wanted: str) -> bool:
    # Reads headers one by one and stops at the match: nothing is extracted to disk.
    with tarfile.open(path, mode="r:gz") as archive:
        for member in archive:
            if member.name.removeprefix("./") == wanted and member.isfile():
                return True
    return False
