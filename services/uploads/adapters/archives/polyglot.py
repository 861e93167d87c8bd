"""A file must be one format only: a wheel that is also a tar (or gzip), an sdist that also
opens as a zip. The strict layouts (zip_records, gzips) leave no room for an appended or
prefixed archive; these checks cover what would still parse as both."""

from __future__ import annotations

import struct
import tarfile
from typing import BinaryIO

from services.uploads.adapters.archives.problems import ArchiveProblem

GZIP_MAGIC = b"\x1f\x8b"
ZIP_LOCAL_MAGIC = b"PK\x03\x04"
END = struct.Struct("<4sHHHHIIH")
# A zip reader looks for its end record in the last 64 KiB (the longest comment) plus 22 bytes.
END_SEARCH = 0xFFFF + END.size


def _is_tar_header(block: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except (tarfile.HeaderError, ValueError, OverflowError):
        return False
    return True


def refuse_other_formats_in_zip(handle: BinaryIO, size: int) -> None:
    """Raises ArchiveProblem for a wheel that is really (or also) a gzip file or a tar archive."""
    handle.seek(0)
    head = handle.read(tarfile.BLOCKSIZE)
    if head.startswith(GZIP_MAGIC):
        raise ArchiveProblem("it is a gzip file, not a zip archive")
    if len(head) == tarfile.BLOCKSIZE and _is_tar_header(head):
        raise ArchiveProblem("it is also a tar archive")


def _plausible_end_records(tail: bytes, tail_offset: int, size: int, handle: BinaryIO) -> bool:
    position = tail.find(b"PK\x05\x06")
    while position != -1 and position + END.size <= len(tail):
        fields = END.unpack_from(tail, position)
        directory_size, directory_offset, comment_length = fields[5:8]
        end_offset = tail_offset + position
        if end_offset + END.size + comment_length == size:
            return True
        # Where a reader finds the central directory: at its offset, or (as Python's zipfile
        # does for an archive with a prefix) right before the end record.
        for start in (directory_offset, end_offset - directory_size):
            if 0 <= start < size:
                handle.seek(start)
                if handle.read(4) == b"PK\x01\x02":
                    return True
        position = tail.find(b"PK\x05\x06", position + 1)
    return False


def refuse_other_formats_in_gzip(handle: BinaryIO, size: int) -> None:
    """Raises ArchiveProblem for an sdist that is really a zip, or that a zip reader would open
    (an end record whose comment reaches the end of the file, or that points at a central
    directory record), wherever it hides."""
    handle.seek(0)
    if handle.read(4) == ZIP_LOCAL_MAGIC:
        raise ArchiveProblem("it is a zip archive, not a gzip-compressed tar archive")
    tail_offset = max(0, size - END_SEARCH)
    handle.seek(tail_offset)
    if _plausible_end_records(handle.read(END_SEARCH), tail_offset, size, handle):
        raise ArchiveProblem("it is also a zip archive")
