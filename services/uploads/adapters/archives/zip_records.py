"""A ZIP parser-confusion validator: walks the raw records (end record, ZIP64 end record and
locator, central directory, local headers) and accepts only an archive that every zip reader
reads the same way.

Laid out as `[local header + data]... central directory [ZIP64 end + locator] end record`, with
no byte unaccounted for: the first entry at offset 0, each entry right after the previous one,
the central directory right after the last, the end record (without comment) the last 22 bytes.
So nothing can hide before, between or after entries: no prefixed or appended archive, no second
end record, no local entry missing from the central directory, no overlapping or nested entry.
Each local header must agree with its central record (name, flags, method, CRC, sizes).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.members import MAX_PATH_BYTES, shown
from services.uploads.adapters.archives.problems import ArchiveProblem

LOCAL = struct.Struct("<4sHHHHHIIIHH")
CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
END = struct.Struct("<4sHHHHIIH")
ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
ZIP64_LOCATOR = struct.Struct("<4sIQI")
LOCAL_SIGNATURE, CENTRAL_SIGNATURE = b"PK\x03\x04", b"PK\x01\x02"
END_SIGNATURE, ZIP64_END_SIGNATURE, ZIP64_LOCATOR_SIGNATURE = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
STORED, DEFLATED = 0, 8
ZIP64_EXTRA, UNICODE_PATH_EXTRA, UNICODE_COMMENT_EXTRA = 0x0001, 0x7075, 0x6375
SENTINEL32, SENTINEL16 = 0xFFFFFFFF, 0xFFFF
FLAG_ENCRYPTED, FLAG_DATA_DESCRIPTOR, FLAG_STRONG_ENCRYPTION = 0x0001, 0x0008, 0x0040
FLAG_UTF8, FLAG_MASKED_HEADERS = 0x0800, 0x2000


@dataclass(frozen=True)
class ZipEntry:
    """One member as the central directory describes it (and its local header confirms)."""

    raw_name: bytes
    name: str
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    external_attributes: int
    data_offset: int = 0

    @property
    def is_directory(self) -> bool:
        """A name ending in `/` is a directory entry."""
        return self.name.endswith("/")


@dataclass(frozen=True)
class Directory:
    """Where the central directory is and how many entries it claims."""

    offset: int
    size: int
    count: int


def read_exactly(handle: BinaryIO, offset: int, length: int) -> bytes:
    """`length` bytes at `offset`. Raises ArchiveProblem when the file ends before."""
    handle.seek(offset)
    data = handle.read(length)
    if len(data) != length:
        raise ArchiveProblem("it is truncated")
    return data


def parse_extra(extra: bytes) -> dict[int, bytes]:
    """The extra fields by id. Raises ArchiveProblem for a malformed or repeated field."""
    fields: dict[int, bytes] = {}
    position = 0
    while position < len(extra):
        if position + 4 > len(extra):
            raise ArchiveProblem("a member has a malformed extra field")
        field_id, length = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4:position + 4 + length]
        if len(body) != length:
            raise ArchiveProblem("a member has a malformed extra field")
        if field_id in fields:
            raise ArchiveProblem(f"a member repeats the extra field 0x{field_id:04x}")
        fields[field_id] = body
        position += 4 + length
    return fields


def resolve_zip64(fields: dict[int, bytes], values: list[int]) -> list[int]:
    """`values` (32-bit fields, in ZIP64 order) with each 0xFFFFFFFF replaced from the ZIP64 extra
    field. Raises ArchiveProblem when the field is missing, the wrong length or not needed."""
    wanted = [index for index, value in enumerate(values) if value == SENTINEL32]
    body = fields.get(ZIP64_EXTRA)
    if body is None and not wanted:
        return values
    if body is None or len(body) != 8 * len(wanted) or not wanted:
        raise ArchiveProblem("a member has a malformed ZIP64 extra field")
    resolved = list(values)
    for slot, index in enumerate(wanted):
        resolved[index] = struct.unpack_from("<Q", body, 8 * slot)[0]
    return resolved


def decode_name(raw: bytes, flags: int, fields: dict[int, bytes]) -> str:
    """The member name. Raises ArchiveProblem for a name that is not UTF-8, a non-ASCII name not
    flagged as UTF-8 (other readers would decode it as CP437), or a Unicode Path extra field that
    names something else."""
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveProblem(f"the member name {shown(raw)} is not valid UTF-8") from None
    if not name.isascii() and not flags & FLAG_UTF8:
        raise ArchiveProblem(f"the non-ASCII member name {shown(name)} is not flagged as UTF-8")
    unicode_path = fields.get(UNICODE_PATH_EXTRA)
    if unicode_path is not None and (
        len(unicode_path) < 5 or unicode_path[0] != 1
        or struct.unpack_from("<I", unicode_path, 1)[0] != zlib.crc32(raw) or unicode_path[5:] != raw
    ):
        raise ArchiveProblem(f"the Unicode Path extra field of {shown(name)} disagrees with its name")
    if UNICODE_COMMENT_EXTRA in fields:
        raise ArchiveProblem("a member carries a comment")
    return name


def check_flags_and_method(name: str, flags: int, method: int) -> None:
    """Raises ArchiveProblem for an encrypted member, a data descriptor or another method than
    stored or deflated."""
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS):
        raise ArchiveProblem(f"the member {shown(name)} is encrypted")
    if flags & FLAG_DATA_DESCRIPTOR:
        raise ArchiveProblem(f"the member {shown(name)} uses a data descriptor")
    if method not in (STORED, DEFLATED):
        raise ArchiveProblem(f"the member {shown(name)} is compressed with method {method}; "
                             "only stored and deflated are allowed")


def find_directory(handle: BinaryIO, size: int) -> Directory:
    """The central directory the end record (and ZIP64 end record) describe. Raises ArchiveProblem
    for a missing end record, a comment, trailing data, several disks or inconsistent records."""
    if size < END.size:
        raise ArchiveProblem("it is too short to be a zip archive")
    end = END.unpack(read_exactly(handle, size - END.size, END.size))
    signature, disk, directory_disk, on_disk, total, directory_size, directory_offset, comment = end
    if signature != END_SIGNATURE:
        raise ArchiveProblem("it does not end with a zip end record (a comment, trailing data or "
                             "not a zip archive)")
    if comment:
        raise ArchiveProblem("it has an archive comment")
    values = [disk, directory_disk, on_disk, total, directory_size, directory_offset]
    directory_end = size - END.size
    if size >= END.size + ZIP64_LOCATOR.size:
        locator = read_exactly(handle, size - END.size - ZIP64_LOCATOR.size, ZIP64_LOCATOR.size)
        if locator.startswith(ZIP64_LOCATOR_SIGNATURE):
            values, directory_end = _zip64_end(handle, size, values, ZIP64_LOCATOR.unpack(locator))
    disk, directory_disk, on_disk, total, directory_size, directory_offset = values
    if disk != 0 or directory_disk != 0 or on_disk != total:
        raise ArchiveProblem("it spans several disks")
    if directory_offset + directory_size != directory_end:
        raise ArchiveProblem("its central directory does not end where its end record begins")
    return Directory(directory_offset, directory_size, total)


def _zip64_end(handle: BinaryIO, size: int, values: list[int], locator) -> tuple[list[int], int]:
    _signature, locator_disk, record_offset, disks = locator
    locator_offset = size - END.size - ZIP64_LOCATOR.size
    if locator_disk != 0 or disks != 1:
        raise ArchiveProblem("it spans several disks")
    if record_offset + ZIP64_END.size != locator_offset:
        raise ArchiveProblem("its ZIP64 end record is not right before its locator")
    record = ZIP64_END.unpack(read_exactly(handle, record_offset, ZIP64_END.size))
    if record[0] != ZIP64_END_SIGNATURE or record[1] != ZIP64_END.size - 12:
        raise ArchiveProblem("its ZIP64 end record is malformed")
    zip64_values = list(record[4:])
    sentinels = [SENTINEL16, SENTINEL16, SENTINEL16, SENTINEL16, SENTINEL32, SENTINEL32]
    for plain, wide, sentinel in zip(values, zip64_values, sentinels):
        if plain not in (wide, sentinel):
            raise ArchiveProblem("its end record and ZIP64 end record disagree")
    return zip64_values, record_offset


def read_central_directory(handle: BinaryIO, directory: Directory, limits: ArchiveLimits) -> list[ZipEntry]:
    """Every central directory record, in order. Raises ArchiveProblem for too many entries, a
    malformed record, or a directory whose size or count disagrees with the end record."""
    limits.check_member_count(directory.count)
    handle.seek(directory.offset)
    entries, position, end = [], directory.offset, directory.offset + directory.size
    while position < end:
        entry, length = _central_record(handle, end - position)
        entries.append(entry)
        limits.check_member_count(len(entries))
        position += length
    if position != end or len(entries) != directory.count:
        raise ArchiveProblem("its central directory disagrees with its end record")
    return entries


def _read(handle: BinaryIO, length: int) -> bytes:
    data = handle.read(length)
    if len(data) != length:
        raise ArchiveProblem("it is truncated")
    return data


def _central_record(handle: BinaryIO, available: int) -> tuple[ZipEntry, int]:
    if available < CENTRAL.size:
        raise ArchiveProblem("its central directory disagrees with its end record")
    fixed = CENTRAL.unpack(_read(handle, CENTRAL.size))
    (signature, _made_by, _needed, flags, method, _time, _date, crc, compressed, size,
     name_length, extra_length, comment_length, disk, _internal, external, offset) = fixed
    length = CENTRAL.size + name_length + extra_length + comment_length
    if signature != CENTRAL_SIGNATURE or length > available:
        raise ArchiveProblem("its central directory is malformed")
    if name_length > MAX_PATH_BYTES:  # refused before it is read: memory stays bounded
        raise ArchiveProblem(f"a member name is longer than {MAX_PATH_BYTES} bytes")
    raw_name, extra = _read(handle, name_length), _read(handle, extra_length)
    if comment_length:
        raise ArchiveProblem("a member carries a comment")
    fields = parse_extra(extra)
    name = decode_name(raw_name, flags, fields)
    check_flags_and_method(name, flags, method)
    size, compressed, offset = resolve_zip64(fields, [size, compressed, offset])
    if disk != 0:
        raise ArchiveProblem("it spans several disks")
    return ZipEntry(raw_name, name, flags, method, crc, compressed, size, offset, external), length


def locate_entries(handle: BinaryIO, entries: list[ZipEntry], directory: Directory) -> list[ZipEntry]:
    """The entries in file order, each with its data offset, after checking that local headers
    tile the file from offset 0 to the central directory and agree with the central records.
    Raises ArchiveProblem otherwise."""
    located, expected = [], 0
    for entry in sorted(entries, key=lambda each: each.header_offset):
        if entry.header_offset != expected:
            raise ArchiveProblem(_gap(entry.header_offset, expected))
        located.append(_check_local_header(handle, entry))
        expected = located[-1].data_offset + entry.compressed_size
    if expected > directory.offset:
        raise ArchiveProblem("its last member overlaps the central directory")
    if expected < directory.offset:
        gap = read_exactly(handle, expected, min(directory.offset - expected, 1 << 16))
        raise ArchiveProblem("it has several end records" if END_SIGNATURE in gap
                             else "it has data between its last member and its central directory")
    return located


def _gap(offset: int, expected: int) -> str:
    if expected == 0:
        return "it has data before its first member"
    if offset < expected:
        return "it has overlapping members"
    return "it has data between its members that the central directory does not list"


def _check_local_header(handle: BinaryIO, entry: ZipEntry) -> ZipEntry:
    fixed = LOCAL.unpack(read_exactly(handle, entry.header_offset, LOCAL.size))
    (signature, _needed, flags, method, _time, _date, crc, compressed, size, name_length, extra_length) = fixed
    if signature != LOCAL_SIGNATURE:
        raise ArchiveProblem(f"the central directory points at no local header for {shown(entry.name)}")
    raw_name = _read(handle, name_length)
    fields = parse_extra(_read(handle, extra_length))
    decode_name(raw_name, flags, fields)
    size, compressed = resolve_zip64(fields, [size, compressed])
    local = (raw_name, flags, method, crc, compressed, size)
    central = (entry.raw_name, entry.flags, entry.method, entry.crc, entry.compressed_size, entry.size)
    if local != central:
        raise ArchiveProblem(f"the local header of {shown(entry.name)} disagrees with the central directory")
    data_offset = entry.header_offset + LOCAL.size + name_length + extra_length
    return ZipEntry(**{**entry.__dict__, "data_offset": data_offset})


def walk(handle: BinaryIO, size: int, limits: ArchiveLimits) -> list[ZipEntry]:
    """The archive's entries in file order, once every raw record checks out.
    Raises ArchiveProblem for any disagreement between the records (see the module docstring)."""
    directory = find_directory(handle, size)
    entries = read_central_directory(handle, directory, limits)
    return locate_entries(handle, entries, directory)
