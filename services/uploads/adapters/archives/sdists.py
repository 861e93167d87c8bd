"""Source distributions: a single-member gzip stream holding a tar with one top-level directory
`{name}-{version}` (as in the filename) and its PKG-INFO."""

from __future__ import annotations

from typing import BinaryIO

from services.uploads.adapters.archives import tars
from services.uploads.adapters.archives.core_metadata import Expected, check_core_metadata
from services.uploads.adapters.archives.gzips import GzipStream
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.polyglot import refuse_other_formats_in_gzip
from services.uploads.adapters.archives.members import shown
from services.uploads.adapters.archives.problems import ArchiveProblem


def check_top_level(members: list[tars.TarMember], stem: str) -> None:
    """Raises ArchiveProblem unless every member is `stem` or inside it."""
    for member in members:
        if member.name and member.name.split("/")[0] != stem:
            raise ArchiveProblem(f"the member {shown(member.name)} is outside the top-level directory '{stem}/'")
        if member.name == stem and not member.is_directory:
            raise ArchiveProblem(f"its top-level '{stem}' is not a directory")


def inspect_sdist(handle: BinaryIO, size: int, expected: Expected, limits: ArchiveLimits) -> bytes:
    """The sdist's PKG-INFO bytes once every rule passed. Raises ArchiveProblem (or a tarfile
    error for a damaged tar header)."""
    refuse_other_formats_in_gzip(handle, size)
    stem = expected.filename.removesuffix(".tar.gz")
    pkg_info = f"{stem}/PKG-INFO"
    members, contents = tars.read_tar(GzipStream(handle, size, limits), limits, {pkg_info})
    if not members:
        raise ArchiveProblem("its tar archive is empty")
    check_top_level(members, stem)
    if pkg_info not in contents:
        raise ArchiveProblem(f"it does not contain the required PKG-INFO file '{pkg_info}'")
    check_core_metadata(contents[pkg_info], "PKG-INFO", expected)
    return contents[pkg_info]
