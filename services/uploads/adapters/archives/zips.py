"""Reading a zip whose records checked out (zip_records): member names and types, bomb limits,
and each member's data streamed in chunks with its size and CRC verified. Nothing touches disk."""

from __future__ import annotations

import stat
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from services.uploads.adapters.archives import zip_records
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.members import UniqueNames, check_member_name, shown
from services.uploads.adapters.archives.polyglot import refuse_other_formats_in_zip
from services.uploads.adapters.archives.problems import ArchiveProblem
from services.uploads.adapters.archives.zip_records import ZipEntry

# What a Unix mode in the external attributes may say: nothing, a regular file or a directory.
ALLOWED_FILE_TYPES = {0, stat.S_IFREG, stat.S_IFDIR}
FILE_TYPE_NAMES = {stat.S_IFLNK: "a symbolic link", stat.S_IFCHR: "a device file",
                   stat.S_IFBLK: "a device file", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}


def open_zip(handle: BinaryIO, size: int, limits: ArchiveLimits) -> dict[str, ZipEntry]:
    """The members by normalized name (directories included, in file order).

    Raises ArchiveProblem for a file that is also another format, any record the parser-confusion
    validator refuses, a bad or repeated member name, a link, device or FIFO, or a bomb.
    """
    refuse_other_formats_in_zip(handle, size)
    entries = zip_records.walk(handle, size, limits)
    members: dict[str, ZipEntry] = {}
    names = UniqueNames()
    for entry in entries:
        normalized = check_member_name(entry.name)
        names.add(normalized, entry.name)
        check_entry_kind(entry)
        members[normalized] = entry
    limits.check_expansion(sum(entry.size for entry in entries), size)
    return members


def check_entry_kind(entry: ZipEntry) -> None:
    """Raises ArchiveProblem for a link, device file, FIFO or socket (by the Unix mode in the
    external attributes), a directory entry with data, or a stored member whose sizes differ."""
    file_type = stat.S_IFMT(entry.external_attributes >> 16)
    if file_type not in ALLOWED_FILE_TYPES:
        kind = FILE_TYPE_NAMES.get(file_type, "not a regular file")
        raise ArchiveProblem(f"the member {shown(entry.name)} is {kind}")
    if file_type == stat.S_IFDIR and not entry.is_directory:
        raise ArchiveProblem(f"the member {shown(entry.name)} has a directory's mode but a file's name")
    if entry.is_directory and entry.size:
        raise ArchiveProblem(f"the directory entry {shown(entry.name)} holds data")
    if entry.method == zip_records.STORED and entry.compressed_size != entry.size:
        raise ArchiveProblem(f"the stored member {shown(entry.name)} declares two different sizes")


def _compressed_chunks(handle: BinaryIO, entry: ZipEntry, chunk_size: int) -> Iterator[bytes]:
    handle.seek(entry.data_offset)
    remaining = entry.compressed_size
    while remaining:
        data = handle.read(min(chunk_size, remaining))
        if not data:
            raise ArchiveProblem("it is truncated")
        remaining -= len(data)
        yield data


def _inflated(chunks: Iterator[bytes], entry: ZipEntry, chunk_size: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for compressed in chunks:
        if inflater.eof:
            raise ArchiveProblem(f"the member {shown(entry.name)} has data after its deflate stream")
        pending = compressed
        while True:
            out = inflater.decompress(pending, chunk_size)
            progressed = bool(out) or len(inflater.unconsumed_tail) < len(pending)
            pending = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof or not (out or pending):
                break
            if not progressed:  # never spin on input zlib will not take
                raise ArchiveProblem(f"the member {shown(entry.name)} has a damaged deflate stream")
        if inflater.unused_data:
            raise ArchiveProblem(f"the member {shown(entry.name)} has data after its deflate stream")
    if not inflater.eof:
        raise ArchiveProblem(f"the member {shown(entry.name)} is truncated")


def member_chunks(handle: BinaryIO, entry: ZipEntry, chunk_size: int) -> Iterator[bytes]:
    """The member's uncompressed bytes in chunks of at most `chunk_size`. Once exhausted, its
    size and CRC were checked. Raises ArchiveProblem for more or fewer bytes than declared, a
    bad CRC, a damaged deflate stream or compressed data past its end."""
    chunks = _compressed_chunks(handle, entry, chunk_size)
    produced, crc = 0, 0
    try:
        for chunk in chunks if entry.method == zip_records.STORED else _inflated(chunks, entry, chunk_size):
            produced += len(chunk)
            if produced > entry.size:
                raise ArchiveProblem(f"the member {shown(entry.name)} holds more data than it declares")
            crc = zlib.crc32(chunk, crc)
            yield chunk
    except zlib.error:
        raise ArchiveProblem(f"the member {shown(entry.name)} has a damaged deflate stream") from None
    if produced != entry.size:
        raise ArchiveProblem(f"the member {shown(entry.name)} holds less data than it declares")
    if crc != entry.crc:
        raise ArchiveProblem(f"the member {shown(entry.name)} fails its CRC check")


def read_member(handle: BinaryIO, entry: ZipEntry, limits: ArchiveLimits) -> bytes:
    """A small member's bytes, checked. Raises ArchiveProblem when it is over the small-member
    limit or damaged."""
    if entry.size > limits.max_small_member:
        raise ArchiveProblem(f"the member {shown(entry.name)} is too large")
    return b"".join(member_chunks(handle, entry, limits.chunk_size))
