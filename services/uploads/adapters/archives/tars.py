"""Reading the tar inside an sdist's gzip stream, member by member, without extracting: member
names and types, a bounded count, chosen small members' bytes, and a clean end (only zero blocks
after the last member, so no second archive hides there)."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass

from services.uploads.adapters.archives.gzips import GzipStream
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.members import UniqueNames, check_member_name, shown
from services.uploads.adapters.archives.problems import ArchiveProblem

ALLOWED_TYPES = {tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE}
TYPE_NAMES = {tarfile.SYMTYPE: "a symbolic link", tarfile.LNKTYPE: "a hard link",
              tarfile.CHRTYPE: "a device file", tarfile.BLKTYPE: "a device file",
              tarfile.FIFOTYPE: "a FIFO", tarfile.CONTTYPE: "a contiguous file",
              tarfile.GNUTYPE_SPARSE: "a sparse file"}
END_OF_ARCHIVE = 2 * tarfile.BLOCKSIZE


class _HeaderNamedTarInfo(tarfile.TarInfo):
    """Remembers the name in the member's own header, before a pax or GNU header replaces it,
    so that name is checked too (a reader ignoring pax headers would use it)."""

    header_name = ""

    @classmethod
    def frombuf(cls, buf, encoding, errors):
        """As TarInfo.frombuf. Raises tarfile.HeaderError."""
        info = super().frombuf(buf, encoding, errors)
        info.header_name = info.name
        return info


@dataclass(frozen=True)
class TarMember:
    """One member: its normalized name and whether it is a directory."""

    name: str
    is_directory: bool


def check_member_kind(info: tarfile.TarInfo) -> None:
    """Raises ArchiveProblem for anything but a regular file or a directory (links, devices,
    FIFOs, sparse files...)."""
    if info.issparse():
        raise ArchiveProblem(f"the member {shown(info.name)} is a sparse file")
    if info.type not in ALLOWED_TYPES:
        kind = TYPE_NAMES.get(info.type, "not a regular file or directory")
        raise ArchiveProblem(f"the member {shown(info.name)} is {kind}")


def _checked_name(info: tarfile.TarInfo) -> str:
    normalized = check_member_name(info.name)
    header_name = getattr(info, "header_name", "")
    if header_name and header_name != info.name:
        check_member_name(header_name)
    return normalized


def _read_small(archive: tarfile.TarFile, info: tarfile.TarInfo, limits: ArchiveLimits) -> bytes:
    if info.size > limits.max_small_member:
        raise ArchiveProblem(f"the member {shown(info.name)} is too large")
    return archive.extractfile(info).read()


def _check_end(stream: GzipStream, end_offset: int) -> None:
    stream.seek(end_offset)
    zeros = 0
    while piece := stream.read(256 * 1024):
        if piece.count(0) != len(piece):
            raise ArchiveProblem("it has data after the end of its tar archive")
        zeros += len(piece)
    if zeros < END_OF_ARCHIVE:
        raise ArchiveProblem("its tar archive is truncated (no end-of-archive marker)")


def read_tar(stream: GzipStream, limits: ArchiveLimits, wanted: set[str]) -> tuple[list[TarMember], dict[str, bytes]]:
    """Every member (checked), and the bytes of the regular members named in `wanted`; the gzip
    stream is then read to its very end. Raises ArchiveProblem, or tarfile.TarError for a
    damaged header."""
    archive = tarfile.open(fileobj=stream, mode="r:", tarinfo=_HeaderNamedTarInfo)
    members, contents, names = [], {}, UniqueNames()
    for info in archive:
        limits.check_member_count(len(members) + 1)
        check_member_kind(info)
        normalized = _checked_name(info)
        names.add(normalized, info.name)
        members.append(TarMember(normalized, info.isdir()))
        if normalized in wanted and info.isreg():
            contents[normalized] = _read_small(archive, info, limits)
    _check_end(stream, archive.offset)
    return members, contents
