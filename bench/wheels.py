"""Valid wheels of any size for the upload benchmarks: random (incompressible) members plus the
WHEEL, METADATA and RECORD files a strict validator checks (RECORD lists every member with its
sha256 and size)."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import zipfile
from pathlib import Path

MEMBER_SIZE = 1024 * 1024


def wheel_filename(name: str, version: str) -> str:
    """`{name}-{version}-py3-none-any.whl` with the name normalized for a wheel."""
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def _record_line(member: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{member},sha256={digest},{len(content)}\n"


def _dist_info(name: str, version: str) -> dict[str, bytes]:
    return {
        "METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                     "Summary: A Gatehouse benchmark package\n").encode(),
        "WHEEL": b"Wheel-Version: 1.0\nGenerator: gatehouse-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }


def _members(name: str, version: str, payload_size: int, seed: int):
    package, rng = name.replace("-", "_"), random.Random(seed)
    yield f"{package}/__init__.py", f'"""Benchmark payload {version}."""\n'.encode()
    for index in range(0, payload_size, MEMBER_SIZE):  # one member at a time: no 500 MB in memory
        yield (f"{package}/data/blob_{index // MEMBER_SIZE:05d}.bin",
               rng.randbytes(min(MEMBER_SIZE, payload_size - index)))
    for member, content in _dist_info(name, version).items():
        yield f"{package}-{version}.dist-info/{member}", content


def write_wheel(target: zipfile.ZipFile, name: str, version: str, payload_size: int, seed: int) -> None:
    """Writes the members of a wheel carrying `payload_size` random bytes into `target`."""
    records = []
    for member, content in _members(name, version, payload_size, seed):
        target.writestr(member, content)
        records.append(_record_line(member, content))
    record = f"{name.replace('-', '_')}-{version}.dist-info/RECORD"
    target.writestr(record, "".join(records) + f"{record},,\n")


def build_wheel(directory: Path, name: str, version: str, payload_size: int, seed: int = 1) -> Path:
    """A wheel file under `directory` (members stored deflated at level 1). Returns its path."""
    path = directory / wheel_filename(name, version)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        write_wheel(archive, name, version, payload_size, seed)
    return path


def wheel_bytes(name: str, version: str, payload_size: int, seed: int = 1) -> bytes:
    """The same wheel in memory (for small ones)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        write_wheel(archive, name, version, payload_size, seed)
    return buffer.getvalue()
