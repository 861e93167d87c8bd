"""A generated corpus of malformed and malicious archives (no binaries are checked in), each named
for the rule it breaks with the refusal it must get, plus valid archives that must pass.

`write_corpus(directory)` writes every case to files; `CASES` lists them for parametrized tests.
"""

from __future__ import annotations

import gzip
import stat
import struct
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.tests.builders import metadata_text, tar_gz_of, wheel_members, zip_of
from services.uploads.tests.hostile_builders import (
    MIB, WHEEL, SDIST, DIST_INFO, wheel_with, wheel_with_record, raw_wheel, record_of, tar_polyglot_zip,
    sdist_members, sdist_with, tar_with_pax_name, sparse_sdist, tampered_gzip,
    corrupt_deflate_sdist, tar_bytes_after_end, many_zip_members, bomb_zip, bomb_sdist, zip64_wheel,
    zip64_end_wheel, nested_member_zip, two_end_records, prefixed_zip, unicode_path_extra, member,
    strip_end_blocks, cut_inside_last_member, row, record_without, record_with_line,
    record_with_size,
)
from services.uploads.tests.raw_archives import RawMember, gzip_of, special, tar_of


@dataclass(frozen=True)
class Case:
    """One archive: `refusal` is a substring of the expected InvalidDistribution message, or None
    for an archive that must pass."""

    name: str
    filename: str
    build: Callable[[], bytes]
    refusal: str | None
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)


def _with_pax(info: tarfile.TarInfo, **headers: str) -> tarfile.TarInfo:
    info.pax_headers = headers
    return info


LINK = (stat.S_IFLNK | 0o777) << 16
FIFO = (stat.S_IFIFO | 0o644) << 16
DEVICE = (stat.S_IFCHR | 0o644) << 16
EXTENDED_TIME = struct.pack("<HHB", 0x5455, 1, 0)
SENTINELS = {"usize": 0xFFFFFFFF, "csize": 0xFFFFFFFF}
ENTRY_POINTS = b"[console_scripts]\ndemo = demo:main\n\n[demo.plugins]\nx = demo:x\n"


def _wheel_cases() -> list[Case]:
    rows = [
        # every archive: one format, not empty
        ("empty wheel", lambda: b"", "too short to be a zip archive"),
        ("wheel that is a gzip file", lambda: gzip.compress(b"x"), "is a gzip file"),
        ("wheel that is a tar", lambda: tar_of([("demo/a.py", b"x")]), "is also a tar archive"),
        ("zip whose first block is also a tar header", tar_polyglot_zip, "is also a tar archive"),
        ("zip with data before it (offsets adjusted)", lambda: prefixed_zip(True), "data before its first member"),
        ("zip with data before it (offsets not adjusted)", lambda: prefixed_zip(False), "does not end where"),
        ("zip with data after it", lambda: raw_wheel(suffix=b"tail"), "does not end with a zip end record"),
        ("zip with an archive comment", lambda: raw_wheel(comment=b"hi"), "does not end with a zip end record"),
        ("truncated zip", lambda: raw_wheel()[:-30], "does not end with a zip end record"),
        # parser confusion
        ("data between entries", lambda: raw_wheel(between=b"junk"), "does not list"),
        ("local entry missing from the central directory",
         lambda: raw_wheel(unlisted=member("demo/hidden.py")), "does not list"),
        ("data between the last entry and the central directory",
         lambda: raw_wheel(before_directory=b"junk"), "between its last member and its central directory"),
        ("two end records", two_end_records, "several end records"),
        ("overlapping entries",
         lambda: raw_wheel(extra_directory=[(RawMember("demo/b.py", b"VALUE = 1\n"), 0)]), "overlapping members"),
        ("nested entry", nested_member_zip, "overlapping members"),
        ("end record count disagrees", lambda: raw_wheel(end={"on_disk": 9, "total": 9}), "disagrees with its end record"),
        ("end record offset disagrees", lambda: raw_wheel(end={"offset": 5}), "does not end where"),
        ("multi-disk archive", lambda: raw_wheel(end={"disk": 1}), "spans several disks"),
        ("ZIP64 end record disagrees", lambda: raw_wheel(zip64={}, end={"on_disk": 3, "total": 3}),
         "ZIP64 end record disagree"),
        ("local name differs", lambda: raw_wheel(member("demo/a.py", local={"name": b"demo/b.py"})),
         "disagrees with the central directory"),
        ("local size differs", lambda: raw_wheel(member("demo/a.py", local={"usize": 99})),
         "disagrees with the central directory"),
        ("local CRC differs", lambda: raw_wheel(member("demo/a.py", local={"crc": 5})),
         "disagrees with the central directory"),
        ("local flags differ", lambda: raw_wheel(member("demo/a.py", local={"flags": 0x800})),
         "disagrees with the central directory"),
        ("local method differs", lambda: raw_wheel(member("demo/a.py", method=0, local={"method": 8})),
         "disagrees with the central directory"),
        ("data descriptor", lambda: raw_wheel(member("demo/a.py", flags=0x08)), "data descriptor"),
        ("encrypted member", lambda: raw_wheel(member("demo/a.py", flags=0x01)), "is encrypted"),
        ("bzip2 member", lambda: raw_wheel(member("demo/a.py", method=12)), "only stored and deflated"),
        ("member comment", lambda: raw_wheel(member("demo/a.py", central={"comment": b"hi"})), "carries a comment"),
        ("repeated extra field",
         lambda: raw_wheel(member("demo/a.py", local={"extra": EXTENDED_TIME * 2})), "repeats the extra field"),
        ("malformed extra field",
         lambda: raw_wheel(member("demo/a.py", central={"extra": b"\x55\x54\x05\x00ab"})), "malformed extra field"),
        ("ZIP64 extra field too short", lambda: raw_wheel(member(
            "demo/a.py", local={**SENTINELS, "extra": struct.pack("<HHQ", 1, 8, 1)})), "malformed ZIP64 extra field"),
        ("ZIP64 extra field not needed", lambda: raw_wheel(member(
            "demo/a.py", local={"extra": struct.pack("<HHQQ", 1, 16, 1, 3)})), "malformed ZIP64 extra field"),
        ("Unicode Path extra field names another file", lambda: raw_wheel(member(
            "demo/a.py", local={"extra": unicode_path_extra(b"demo/evil.py")},
            central={"extra": unicode_path_extra(b"demo/evil.py")})), "Unicode Path extra field"),
        # corrupt data, bombs
        ("bad CRC", lambda: raw_wheel(member("demo/a.py", b"hello", local={"crc": 1}, central={"crc": 1})),
         "fails its CRC check"),
        ("declared size too small", lambda: raw_wheel(member("demo/a.py", b"hello" * 9, local={"usize": 2},
                                                              central={"usize": 2})), "more data than it declares"),
        ("declared size too large", lambda: raw_wheel(member("demo/a.py", b"hello", local={"usize": 90},
                                                              central={"usize": 90})), "less data than it declares"),
        ("damaged deflate stream", lambda: raw_wheel(member("demo/a.py", b"hello", payload=b"\xff\xff\xff")),
         "damaged deflate stream"),
        ("data hidden in a directory entry", lambda: raw_wheel(member("demo/sub/", b"", method=0, payload=b"PK\x05\x06",
                                                                      local={"csize": 4}, central={"csize": 4})),
         "declares two different sizes"),
        ("data hidden after a directory entry's deflate stream", lambda: raw_wheel(member(
            "demo/sub/", b"", payload=b"\x03\x00hidden")), "data after its deflate stream"),
        ("zip bomb", bomb_zip, "decompression bomb"),
        ("zip with 50,001 members", lambda: many_zip_members(50_001), "more than 50000 members"),
        # member names and kinds
        ("non-ASCII name not flagged UTF-8", lambda: raw_wheel(member(
            "demo/é.py".encode(), local={"flags": 0}, central={"flags": 0})), "not flagged as UTF-8"),
        ("name not UTF-8", lambda: raw_wheel(member(b"demo/\xff.py")), "not valid UTF-8"),
        ("'..' component", lambda: raw_wheel(member("demo/../../evil.py")), "'..' path component"),
        ("absolute path", lambda: raw_wheel(member("/etc/evil.py")), "absolute path"),
        ("backslash", lambda: raw_wheel(member("demo\\evil.py")), "backslash"),
        ("drive letter", lambda: raw_wheel(member("C:/evil.py")), "drive letter"),
        ("control character", lambda: raw_wheel(member("demo/evil\x07.py")), "control character"),
        ("empty component", lambda: raw_wheel(member("demo//evil.py")), "empty path component"),
        ("component over 255 bytes", lambda: raw_wheel(member("demo/" + "a" * 256)), "longer than 255 bytes"),
        ("path over 4096 bytes", lambda: raw_wheel(member("demo/" + "a/" * 2100 + "x")), "longer than 4096 bytes"),
        ("duplicate name", lambda: raw_wheel(member("demo/__init__.py")), "appears more than once"),
        ("duplicate after ./", lambda: raw_wheel(member("./demo/__init__.py")), "appears more than once"),
        ("symlink member", lambda: raw_wheel(member("demo/link", b"/etc/passwd", external=LINK)), "symbolic link"),
        ("FIFO member", lambda: raw_wheel(member("demo/fifo", b"", external=FIFO)), "a FIFO"),
        ("file with a directory's mode", lambda: raw_wheel(member("demo/x.py", b"", external=(stat.S_IFDIR | 0o755) << 16)),
         "a directory's mode"),
        ("device member", lambda: raw_wheel(member("demo/dev", b"", external=DEVICE)), "a device file"),
        # wheel contents
        ("no .dist-info", lambda: zip_of({"demo/__init__.py": b""}), "no .dist-info directories"),
        ("two .dist-info", lambda: wheel_with({"other-1.0.dist-info/METADATA": b""}), "2 .dist-info directories"),
        ("dist-info of another version", lambda: zip_of({k.replace("demo-1.0", "demo-2.0"): v for k, v in
                                                         wheel_members().items()}), "does not match the filename"),
        ("no RECORD", lambda: zip_of({k: v for k, v in wheel_members().items() if "RECORD" not in k}),
         "required RECORD file"),
        ("no WHEEL", lambda: wheel_with(drop=("WHEEL",)), "required WHEEL file"),
        ("no METADATA", lambda: wheel_with(drop=("METADATA",)), "required METADATA file"),
        ("Wheel-Version 2", lambda: wheel_with(WHEEL=b"Wheel-Version: 2.0\nTag: py3-none-any\n"), "Wheel-Version 1.x"),
        ("WHEEL tags disagree", lambda: wheel_with(WHEEL=b"Wheel-Version: 1.0\nTag: cp311-cp311-linux_x86_64\n"),
         "disagree with the filename's tags"),
        ("METADATA of another project", lambda: wheel_with(METADATA=metadata_text("other", "1.0")), "names the project"),
        ("METADATA of another version", lambda: wheel_with(METADATA=metadata_text("demo", "2.0")), "has version '2.0'"),
        ("METADATA without a version", lambda: wheel_with(METADATA=b"Metadata-Version: 2.1\nName: demo\n"),
         "no single valid Version"),
        ("RECORD digest mismatch", lambda: wheel_with_record(record_with_line(row("demo/__init__.py", b"VALUE = 2\n"))),
         "digest of 'demo/__init__.py'"),
        ("RECORD size mismatch", lambda: wheel_with_record(record_with_size(99)), "the size 99"),
        ("RECORD misses a member", lambda: wheel_with_record(record_without("demo/__init__.py")),
         "not listed in its RECORD"),
        ("RECORD lists an absent file", lambda: wheel_with_record(record_of(row("demo/gone.py", b"x"))),
         "which the wheel does not contain"),
        ("RECORD lists a member twice", lambda: wheel_with_record(record_of(row("demo/__init__.py", b"VALUE = 1\n"))),
         "more than once"),
        ("RECORD with an md5 digest", lambda: wheel_with_record(record_without("demo/__init__.py")
                                                                + b"demo/__init__.py,md5=AAAAAAAAAAAAAAAAAAAAAA,10\n"),
         "sha256 or stronger"),
        ("RECORD not UTF-8", lambda: wheel_with_record(record_of("") + b"\xff\n"), "not valid UTF-8"),
        ("entry_points.txt not INI", lambda: wheel_with(entry_points_txt=b"not an ini file\n"), "not a valid INI file"),
        ("script name not plain", lambda: wheel_with(entry_points_txt=b"[console_scripts]\n../evil = demo:main\n"),
         "not a plain name"),
    ]
    return [Case(name, WHEEL, build, refusal) for name, build, refusal in rows]


def _sdist_cases() -> list[Case]:
    valid = lambda: tar_gz_of(sdist_members())  # noqa: E731 - a builder like the others
    pkg_info = lambda text: tar_gz_of({"demo-1.0/PKG-INFO": text, "demo-1.0/setup.py": b""})  # noqa: E731
    rows = [
        ("empty sdist", lambda: b"", "truncated"),
        ("sdist that is a zip", lambda: zip_of(wheel_members()), "is a zip archive"),
        ("zip appended to a tar.gz", lambda: valid() + zip_of(wheel_members()), "is also a zip archive"),
        ("zip hidden in the gzip header", lambda: gzip_of(tar_of(list(sdist_members().items())),
                                                          header_extra=zip_of(wheel_members())), "is also a zip archive"),
        ("gzip with trailing garbage", lambda: valid() + b"garbage", "data after its gzip stream"),
        ("two gzip members", lambda: valid() + gzip.compress(b"more", mtime=0), "a second gzip member"),
        ("truncated gzip", lambda: valid()[:-20], "truncated"),
        ("gzip CRC wrong", lambda: tampered_gzip(-8), "fails its CRC or length check"),
        ("gzip length wrong", lambda: tampered_gzip(-1), "fails its CRC or length check"),
        ("gzip reserved flag", lambda: valid()[:3] + b"\x20" + valid()[4:], "gzip header is malformed"),
        ("damaged gzip deflate stream", corrupt_deflate_sdist, "gzip stream is damaged"),
        ("tar.gz bomb", bomb_sdist, "decompression bomb"),
        ("tar symlink", lambda: sdist_with(special("demo-1.0/link", tarfile.SYMTYPE, "/etc/passwd")), "symbolic link"),
        ("tar hard link", lambda: sdist_with(special("demo-1.0/hard", tarfile.LNKTYPE, "demo-1.0/setup.py")),
         "hard link"),
        ("tar device", lambda: sdist_with(special("demo-1.0/dev", tarfile.CHRTYPE)), "device file"),
        ("tar FIFO", lambda: sdist_with(special("demo-1.0/fifo", tarfile.FIFOTYPE)), "a FIFO"),
        ("tar sparse member", sparse_sdist, "sparse file"),
        ("pax path with '..'", lambda: tar_with_pax_name("demo-1.0/../../evil.py", "demo-1.0/ok.py"),
         "'..' path component"),
        ("pax path hiding an absolute header name", lambda: tar_with_pax_name("demo-1.0/ok.py", "/etc/evil"),
         "absolute path"),
        ("tar name with backslash", lambda: sdist_with(("demo-1.0\\evil.py", b"")), "backslash"),
        ("tar duplicate member", lambda: sdist_with(("demo-1.0/setup.py", b"again")), "appears more than once"),
        ("tar duplicate after ./", lambda: sdist_with(("./demo-1.0/setup.py", b"again")), "appears more than once"),
        ("huge pax header", lambda: sdist_with(_with_pax(tarfile.TarInfo("demo-1.0/a.py"), comment="x" * 17 * MIB)),
         "extended header that is too large"),
        ("tar member hidden after the end", tar_bytes_after_end, "data after the end of its tar archive"),
        ("tar without end-of-archive blocks", lambda: gzip.compress(
            strip_end_blocks(tar_of(list(sdist_members().items()))), mtime=0), "no end-of-archive marker"),
        ("tar member data truncated", cut_inside_last_member, "damaged or malformed"),
        ("two top-level directories", lambda: sdist_with(("other-1.0/x.py", b"")), "outside the top-level directory"),
        ("no PKG-INFO", lambda: tar_gz_of({"demo-1.0/setup.py": b""}), "required PKG-INFO file"),
        ("PKG-INFO of another version", lambda: pkg_info(metadata_text("demo", "2.0")), "has version '2.0'"),
        ("PKG-INFO of another project", lambda: pkg_info(metadata_text("other", "1.0")), "names the project"),
    ]
    cases = [Case(name, SDIST, build, refusal) for name, build, refusal in rows]
    few = ArchiveLimits(max_members=3)
    cases.append(Case("tar with more members than the limit", SDIST,
                      lambda: sdist_with(("demo-1.0/a.py", b""), ("demo-1.0/b.py", b"")), "more than 3 members", few))
    return cases


def _valid_cases() -> list[Case]:
    entry_points = {f"{DIST_INFO}/entry_points.txt": ENTRY_POINTS}
    extras = {"demo/": b"", "demo/données.txt": "é".encode(), f"{DIST_INFO}/RECORD.jws": b"{}"}
    directory = tarfile.TarInfo("demo-1.0")
    directory.type = tarfile.DIRTYPE
    rows = [
        ("valid wheel", WHEEL, lambda: zip_of(wheel_members())),
        ("valid wheel with entry points", WHEEL, lambda: wheel_with(entry_points)),
        ("valid wheel with sha384 RECORD", WHEEL, lambda: zip_of(wheel_members(algorithm="sha384"))),
        ("valid wheel with sha512 RECORD", WHEEL, lambda: zip_of(wheel_members(algorithm="sha512"))),
        ("valid stored wheel", WHEEL, lambda: zip_of(wheel_members(), zipfile.ZIP_STORED)),
        ("valid wheel with directories, UTF-8 names, a signature", WHEEL, lambda: wheel_with(extras)),
        ("valid ZIP64 wheel (members)", WHEEL, zip64_wheel),
        ("valid ZIP64 wheel (end record)", WHEEL, lambda: zip64_end_wheel()),
        ("valid sdist", SDIST, lambda: tar_gz_of(sdist_members())),
        ("valid sdist with a directory entry and ./ names", SDIST,
         lambda: gzip.compress(tar_of([directory, ("./demo-1.0/PKG-INFO", metadata_text("demo", "1.0"))]), mtime=0)),
    ]
    return [Case(name, filename, build, None) for name, filename, build in rows]


CASES = _wheel_cases() + _sdist_cases() + _valid_cases()


def write_corpus(directory: Path) -> list[tuple[Case, Path]]:
    """Writes every case to `directory` (one file per case, named for it); returns them."""
    written = []
    for index, case in enumerate(CASES):
        path = directory / f"{index:03d}-{case.filename}"
        path.write_bytes(case.build())
        written.append((case, path))
    return written
