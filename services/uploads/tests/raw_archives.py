"""Byte-level archive writers for the hostile corpus: a zip writer whose every record field can be
overridden (Python's zipfile cannot write most of the lies we need), and small tar/gzip helpers."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zlib
from dataclasses import dataclass, field

LOCAL = struct.Struct("<4sHHHHHIIIHH")
CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
END = struct.Struct("<4sHHHHIIH")
ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
ZIP64_LOCATOR = struct.Struct("<4sIQI")
REGULAR_FILE = 0o100644 << 16


def deflate(data: bytes) -> bytes:
    """Raw deflate (no zlib header), as zip stores it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@dataclass
class RawMember:
    """One zip member. `local` and `central` override record fields by name: name, flags, method,
    crc, csize, usize, extra, comment, offset, disk, external."""

    name: str | bytes
    data: bytes = b""
    method: int = 8
    flags: int = 0
    external: int = REGULAR_FILE
    payload: bytes | None = None  # the stored bytes, when they must not be data's compression
    local: dict = field(default_factory=dict)
    central: dict = field(default_factory=dict)

    def fields(self, which: dict) -> dict:
        """The record's values: the computed ones, then the overrides."""
        raw_name = self.name.encode() if isinstance(self.name, str) else self.name
        payload = self.stored()
        flags = self.flags | (0x800 if not raw_name.isascii() else 0)
        values = dict(name=raw_name, flags=flags, method=self.method, crc=zlib.crc32(self.data),
                      csize=len(payload), usize=len(self.data), extra=b"", comment=b"", disk=0,
                      external=self.external)
        values.update(which)
        return values

    def stored(self) -> bytes:
        """The bytes after the local header."""
        if self.payload is not None:
            return self.payload
        return deflate(self.data) if self.method == 8 else self.data


def local_record(member: RawMember) -> bytes:
    """The local header, name, extra and data of `member`."""
    values = member.fields(member.local)
    header = LOCAL.pack(b"PK\x03\x04", 20, values["flags"], values["method"], 0, 0x21, values["crc"],
                        values["csize"], values["usize"], len(values["name"]), len(values["extra"]))
    return header + values["name"] + values["extra"] + member.stored()


def central_record(member: RawMember, offset: int) -> bytes:
    """The central directory record of `member` whose local header is at `offset`."""
    values = member.fields({"offset": offset, **member.central})
    header = CENTRAL.pack(b"PK\x01\x02", 0x031E, 20, values["flags"], values["method"], 0, 0x21,
                          values["crc"], values["csize"], values["usize"], len(values["name"]),
                          len(values["extra"]), len(values["comment"]), values["disk"], 0,
                          values["external"], values["offset"])
    return header + values["name"] + values["extra"] + values["comment"]


@dataclass
class RawZip:
    """A zip as bytes, with room for every kind of lie: data before, between and after entries,
    local records the directory does not list, an end record that disagrees, ZIP64 records."""

    members: list[RawMember]
    prefix: bytes = b""
    between: bytes = b""  # after the first entry
    before_directory: bytes = b""
    suffix: bytes = b""
    comment: bytes = b""
    unlisted: list[RawMember] = field(default_factory=list)  # local records only
    end: dict = field(default_factory=dict)  # disk, directory_disk, on_disk, total, size, offset
    zip64: dict | None = None  # None: no ZIP64 end record; else overrides of its fields
    extra_directory: list[tuple[RawMember, int]] = field(default_factory=list)
    shift_offsets: bool = True  # False: offsets ignore the prefix (a careless concatenation)

    def build(self) -> bytes:
        """The archive's bytes."""
        body, offsets = bytearray(self.prefix), []
        base = 0 if self.shift_offsets else len(self.prefix)
        for index, member in enumerate(self.members):
            offsets.append(len(body) - base)
            body += local_record(member)
            if index == 0:
                body += self.between
                for unlisted in self.unlisted:
                    body += local_record(unlisted)
        body += self.before_directory
        directory = b"".join(central_record(m, o) for m, o in zip(self.members, offsets))
        directory += b"".join(central_record(m, o) for m, o in self.extra_directory)
        count = len(self.members) + len(self.extra_directory)
        directory_offset = len(body) - base
        body += directory
        return bytes(body + self._end_records(count, len(directory), directory_offset, len(body) - base))

    def _end_records(self, count: int, size: int, offset: int, zip64_offset: int) -> bytes:
        values = dict(disk=0, directory_disk=0, on_disk=count, total=count, size=size, offset=offset)
        records = b""
        if self.zip64 is not None:
            wide = {**values, **self.zip64}
            records += ZIP64_END.pack(b"PK\x06\x06", 44, 45, 45, wide["disk"], wide["directory_disk"],
                                      wide["on_disk"], wide["total"], wide["size"], wide["offset"])
            records += ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, zip64_offset, 1)
            values.update(on_disk=0xFFFF, total=0xFFFF, size=0xFFFFFFFF, offset=0xFFFFFFFF)
        values.update(self.end)
        records += END.pack(b"PK\x05\x06", values["disk"], values["directory_disk"], values["on_disk"],
                            values["total"], values["size"], values["offset"], len(self.comment))
        return records + self.comment + self.suffix


def tar_of(entries: list[tarfile.TarInfo | tuple[str, bytes]], tar_format=tarfile.PAX_FORMAT) -> bytes:
    """An uncompressed tar of (name, content) files and ready-made TarInfos (no data)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tar_format) as archive:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                archive.addfile(entry)
                continue
            info = tarfile.TarInfo(entry[0])
            info.size = len(entry[1])
            archive.addfile(info, io.BytesIO(entry[1]))
    return buffer.getvalue()


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    """A tar member of type `kind` (a link, device or FIFO) without data."""
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def gzip_of(data: bytes, header_extra: bytes = b"") -> bytes:
    """One gzip member of `data`; with `header_extra`, carried in the header's FEXTRA field."""
    plain = gzip.compress(data, mtime=0)
    if not header_extra:
        return plain
    header = b"\x1f\x8b\x08\x04" + plain[4:10] + struct.pack("<H", len(header_extra)) + header_extra
    return header + plain[10:]
