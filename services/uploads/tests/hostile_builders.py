"""Builders of hostile (and valid) archives for the corpus in hostile_archives.py: each function
makes the bytes of one kind of malformed or malicious archive."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
import zlib

from services.uploads.tests.builders import metadata_text, record_line, tar_gz_of, wheel_members, zip_of
from services.uploads.tests.raw_archives import RawMember, RawZip, local_record, tar_of

WHEEL = "demo-1.0-py3-none-any.whl"
SDIST = "demo-1.0.tar.gz"
DIST_INFO = "demo-1.0.dist-info"
MIB = 1024 * 1024

def with_record(members: dict[str, bytes], algorithm: str = "sha256") -> dict[str, bytes]:
    """`members` with a RECORD (last) that lists every other member correctly."""
    listed = {path: content for path, content in members.items() if not path.endswith("/RECORD")}
    record = "".join(record_line(path, content, algorithm) for path, content in listed.items()
                     if not path.endswith("/"))
    return {**listed, f"{DIST_INFO}/RECORD": (record + f"{DIST_INFO}/RECORD,,\n").encode()}


def wheel_with(extra: dict[str, bytes] | None = None, drop: tuple[str, ...] = (), **replace: bytes) -> bytes:
    """A valid demo wheel with `extra` members added, `drop` removed and dist-info files replaced
    (keyword = file name with `_` for `.`), RECORD recomputed."""
    members = {path: content for path, content in wheel_members().items() if path.split("/")[-1] not in drop}
    for file, content in replace.items():
        members[f"{DIST_INFO}/{file.replace('_txt', '.txt')}"] = content
    return zip_of(with_record({**members, **(extra or {})}))


def wheel_with_record(record: bytes) -> bytes:
    """A valid demo wheel whose RECORD is `record` as given."""
    members = {path: content for path, content in wheel_members().items() if not path.endswith("RECORD")}
    return zip_of({**members, f"{DIST_INFO}/RECORD": record})


def raw_wheel(extra: list[RawMember] = (), **options) -> bytes:
    """The demo wheel written by the raw writer, with `extra` members and RawZip `options`."""
    members = [RawMember(path, content) for path, content in wheel_members().items()]
    return RawZip(members + list(extra), **options).build()


def record_of(text: str) -> bytes:
    """A RECORD listing the demo wheel's members correctly, then `text`."""
    return wheel_members()[f"{DIST_INFO}/RECORD"] + text.encode()


def tar_polyglot_zip() -> bytes:
    """A zip whose first 512 bytes are also a valid tar header (checksum patched in the name)."""
    header = tarfile.TarInfo("x").tobuf(tarfile.USTAR_FORMAT)
    name = bytearray(header[30:512])
    archive = bytearray(RawZip([RawMember(bytes(name), b"data")]).build())
    checksum = 256 + sum(archive[:148]) + sum(archive[156:512])
    field_bytes = b"%06o\0 " % checksum
    archive[148:156] = field_bytes
    name[148 - 30:156 - 30] = field_bytes  # the central directory repeats the name
    return RawZip([RawMember(bytes(name), b"data")]).build()


def sdist_members(**extra: bytes) -> dict[str, bytes]:
    """A valid demo sdist's members, plus `extra`."""
    return {"demo-1.0/PKG-INFO": metadata_text("demo", "1.0"), "demo-1.0/setup.py": b"# nothing\n", **extra}


def sdist_with(*entries) -> bytes:
    """A gzip tar of the demo sdist's files and `entries` (TarInfos or (name, bytes))."""
    return gzip.compress(tar_of(list(sdist_members().items()) + list(entries)), mtime=0)


def tar_with_pax_name(pax_path: str, header_name: str) -> bytes:
    """An sdist whose member has the ustar name `header_name` and the pax path `pax_path`."""
    info = tarfile.TarInfo(header_name)
    info.pax_headers = {"path": pax_path}
    return gzip.compress(tar_of(list(sdist_members().items()) + [info]), mtime=0)


def sparse_sdist() -> bytes:
    """An sdist with a GNU sparse member (type 'S') after its valid members."""
    info = tarfile.TarInfo("demo-1.0/holes.bin")
    info.type = tarfile.GNUTYPE_SPARSE
    plain = tar_of(list(sdist_members().items()), tarfile.GNU_FORMAT).rstrip(b"\0")
    padded = plain + b"\0" * (-len(plain) % 512)
    return gzip.compress(padded + info.tobuf(tarfile.GNU_FORMAT) + b"\0" * 1024, mtime=0)


def tampered_gzip(offset_from_end: int) -> bytes:
    """The valid sdist with one trailer byte flipped (-8..-5 CRC, -4..-1 length)."""
    data = bytearray(tar_gz_of(sdist_members()))
    data[offset_from_end] ^= 0xFF
    return bytes(data)


def corrupt_deflate_sdist() -> bytes:
    """The valid sdist with its deflate stream damaged."""
    data = bytearray(tar_gz_of(sdist_members()))
    data[12:20] = b"\xff" * 8
    return bytes(data)


def tar_bytes_after_end() -> bytes:
    """A tar whose end-of-archive blocks are followed by a hidden member."""
    plain = tar_of(list(sdist_members().items()))
    return gzip.compress(plain + tar_of([("demo-1.0/hidden.py", b"evil")]), mtime=0)


def many_zip_members(count: int) -> bytes:
    """A zip of `count` empty members."""
    return RawZip([RawMember(f"demo/m{index}.py", b"", method=0) for index in range(count)]).build()


def bomb_zip() -> bytes:
    """A wheel holding 65 MiB of zeros in 65 KiB: over 64 MiB at a ratio far over 50."""
    return raw_wheel([RawMember("demo/zeros.bin", bytes(65 * MIB))])


def bomb_sdist() -> bytes:
    """An sdist holding 65 MiB of zeros."""
    return sdist_with(("demo-1.0/zeros.bin", bytes(65 * MIB)))


def zip64_wheel() -> bytes:
    """A valid wheel whose members all carry ZIP64 local extra fields (as zipfile force_zip64)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in wheel_members().items():
            with archive.open(zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0)), "w", force_zip64=True) as handle:
                handle.write(content)
    return buffer.getvalue()


def zip64_end_wheel(**overrides) -> bytes:
    """The demo wheel with ZIP64 end record and locator (and `overrides` of the ZIP64 end record)."""
    return raw_wheel(zip64=overrides)


def nested_member_zip() -> bytes:
    """A stored member whose data is another member's local record, which the directory also lists."""
    inner = RawMember("demo/inner.py", b"inner")
    outer = RawMember("demo/outer.bin", local_record(inner), method=0)
    valid = [RawMember(path, content) for path, content in wheel_members().items()]
    inner_offset = 30 + len(b"demo/outer.bin")
    return RawZip([outer] + valid, extra_directory=[(inner, inner_offset)]).build()


def two_end_records() -> bytes:
    """A wheel followed by a second end record that claims an empty archive."""
    archive = raw_wheel()
    return archive + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0, 0, 0, len(archive), 0)


def prefixed_zip(shift: bool) -> bytes:
    """The demo wheel after 100 bytes of junk (a self-extractor's stub, or a careless `cat`)."""
    return raw_wheel(prefix=b"#!junk" * 20, shift_offsets=shift)


def unicode_path_extra(name: bytes) -> bytes:
    """An Info-ZIP Unicode Path extra field naming `name` (CRC of the header's name: demo/a.py)."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(b"demo/a.py")) + name
    return struct.pack("<HH", 0x7075, len(body)) + body


def member(name, data=b"x", **options) -> list[RawMember]:
    """One raw member, as a list to add to the demo wheel."""
    return [RawMember(name, data, **options)]


def strip_end_blocks(plain: bytes) -> bytes:
    """A tar without its end-of-archive zero blocks (padded to whole blocks)."""
    return plain.rstrip(b"\0") + b"\0" * (-len(plain.rstrip(b"\0")) % 512)


def cut_inside_last_member() -> bytes:
    """An sdist whose tar stops in the middle of its last member's data."""
    plain = strip_end_blocks(tar_of(list(sdist_members(**{"demo-1.0/big.py": b"y" * 2000}).items())))
    return gzip.compress(plain[:-1000], mtime=0)


def row(path: str, content: bytes) -> str:
    """A correct sha256 RECORD row."""
    return record_line(path, content)


def record_without(path: str) -> bytes:
    """The demo wheel's RECORD without the row of `path`."""
    lines = wheel_members()[f"{DIST_INFO}/RECORD"].decode().splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(path + ",")).encode()


def record_with_line(line: str) -> bytes:
    """The demo wheel's RECORD with `line` replacing the row of its path."""
    return record_without(line.split(",")[0]) + line.encode()


def record_with_size(size: int) -> bytes:
    """The demo wheel's RECORD giving demo/__init__.py the wrong `size`."""
    path, digest, _size = row("demo/__init__.py", b"VALUE = 1\n").strip().split(",")
    return record_with_line(f"{path},{digest},{size}\n")
