"""How long the archive validator takes on a big wheel, next to hashing the same file.

Builds a wheel of about SIZE_MB (default 50) MB: many modules of incompressible bytes (so the
file is as big as its content) plus a RECORD of their sha256 digests. Then, in this one process,
times (wall and CPU, best of 3):

- "hash": md5 + sha256 + blake2b-256 of the file and a CRC-32 of every member (zipfile reading
  each member in 1 MiB chunks): what the upload pipeline must spend anyway;
- "validate": `archives.inspect` (raw record walk, CRC of every member, RECORD digests, wheel rules).

Peak memory: the growth of ru_maxrss over the run (the validator streams; it should stay flat).
Usage: python -m bench.archive_validation [SIZE_MB]
"""

from __future__ import annotations

import base64
import hashlib
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from services.uploads.adapters.archives import inspect
from services.uploads.domain.filenames import Distribution
from services.uploads.tests.builders import record_line, wheel_members

CHUNK = 1024 * 1024
FILENAME = "demo-1.0-py3-none-any.whl"


def module_content(compressible: bool) -> bytes:
    """200 KB of random bytes, or of random base64 text (deflate gets it to about 3/4, so the
    validator really inflates, as for real code)."""
    return base64.b64encode(os.urandom(150 * 1024)) if compressible else os.urandom(200 * 1024)


def build_wheel(path: Path, size_mb: int, compressible: bool) -> None:
    """A valid wheel of about `size_mb` MB of modules, then the dist-info."""
    members = wheel_members()
    record = ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(size_mb * 5):
            content = module_content(compressible)
            name = f"demo/module_{index}.py"
            archive.writestr(name, content)
            record += record_line(name, content)
        for name, content in members.items():
            if name.endswith("RECORD"):
                content = (record + content.decode()).encode()
            archive.writestr(name, content)


def hash_and_crc(path: Path) -> None:
    """md5 + sha256 + blake2b-256 of the bytes, then every member CRC-checked by zipfile."""
    digests = [hashlib.md5(), hashlib.sha256(), hashlib.blake2b(digest_size=32)]
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            for digest in digests:
                digest.update(chunk)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                while member.read(CHUNK):
                    pass


def validate(path: Path) -> None:
    """The upload pipeline's archive step."""
    inspect(path, Distribution(FILENAME, "bdist_wheel", ""), "demo", "1.0")


def best_of(runs: int, work, path: Path) -> tuple[float, float]:
    """The lowest wall and CPU seconds of `runs` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def measure(directory: Path, size_mb: int, compressible: bool) -> None:
    """Builds one wheel, times both, prints the figures."""
    path = directory / FILENAME
    build_wheel(path, size_mb, compressible)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hashed, validated = best_of(3, hash_and_crc, path), best_of(3, validate, path)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(f"wheel of {'base64 text' if compressible else 'random bytes'}: {path.stat().st_size / 1e6:.1f} MB, "
          f"{size_mb * 5 + 4} members")
    print(f"  hash (md5+sha256+blake2b + CRC of every member): wall {hashed[0]:.3f} s, cpu {hashed[1]:.3f} s")
    print(f"  validate (records, CRCs, RECORD sha256, rules):  wall {validated[0]:.3f} s, cpu {validated[1]:.3f} s")
    print(f"  validate / hash: wall {validated[0] / hashed[0]:.2f}x, cpu {validated[1] / hashed[1]:.2f}x; "
          f"peak RSS growth {grown / 1024:.1f} MB")


def main() -> None:
    """Measures a wheel of incompressible and one of compressible members."""
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as directory:
        for compressible in (False, True):
            measure(Path(directory), size_mb, compressible)


if __name__ == "__main__":
    main()
