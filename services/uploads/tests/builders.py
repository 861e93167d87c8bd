"""Small real distributions and upload requests, built in memory for the tests."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import zipfile

from gatehouse.common.v1 import common_pb2
from gatehouse.uploads.v1 import uploads_pb2


FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def metadata_text(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()


def record_line(path: str, content: bytes, algorithm: str = "sha256") -> str:
    """A RECORD row for `path` with its digest (urlsafe base64, no padding) and size."""
    digest = base64.urlsafe_b64encode(hashlib.new(algorithm, content).digest()).rstrip(b"=").decode()
    return f"{path},{algorithm}={digest},{len(content)}\n"


def wheel_members(name: str = "demo", version: str = "1.0", extra: bytes = b"",
                  tag: str = "py3-none-any", algorithm: str = "sha256") -> dict[str, bytes]:
    """A minimal wheel's members: a module, METADATA, WHEEL and a RECORD of them all."""
    stem = f"{name.replace('-', '_')}-{version}"
    dist_info = f"{stem}.dist-info"
    members = {
        f"{name.replace('-', '_')}/__init__.py": b"VALUE = 1\n" + extra,
        f"{dist_info}/METADATA": metadata_text(name, version),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
    }
    record = "".join(record_line(path, content, algorithm) for path, content in members.items())
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    return members


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The members zipped in order, as Python's zipfile writes them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for path, content in members.items():
            # A fixed date: the same members always make the same bytes.
            archive.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), content,
                             compress_type=compression)
    return buffer.getvalue()


def wheel_bytes(name: str = "demo", version: str = "1.0", extra: bytes = b"") -> bytes:
    """A minimal valid wheel: a module and its dist-info (METADATA, WHEEL, RECORD)."""
    return zip_of(wheel_members(name, version, extra))


def tar_gz_of(members: dict[str, bytes]) -> bytes:
    """The members as regular files in a gzip tar, in order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), mtime=0)  # a fixed date: the same bytes every time


def sdist_bytes(stem: str = "demo-1.0", pkg_info: bool = True) -> bytes:
    """A minimal gzip tar sdist whose top directory is `stem` (named `{name}-{version}`)."""
    name, _, version = stem.rpartition("-")
    members = {f"{stem}/setup.py": b"# nothing\n"}
    if pkg_info:
        members[f"{stem}/PKG-INFO"] = metadata_text(name, version)
    return tar_gz_of(members)


def form_fields(name="demo", version="1.0", filetype="bdist_wheel", content=b"", **overrides):
    """The fields twine sends, with a correct sha256 of `content`; overrides replace/add fields
    (a value of None removes the field)."""
    fields = {
        ":action": "file_upload", "protocol_version": "1", "name": name, "version": version,
        "filetype": filetype, "pyversion": "py3" if filetype == "bdist_wheel" else "source",
        "metadata_version": "2.1", "summary": "A demo", "requires_python": ">=3.8",
        "sha256_digest": hashlib.sha256(content).hexdigest(),
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def header(fields: dict, filename: str, token: str = "good-token", file_fields=()) -> uploads_pb2.UploadHeader:
    return uploads_pb2.UploadHeader(
        token=token,
        context=common_pb2.RequestContext(ip_address="192.0.2.7", user_agent="twine/6", request_id="r1"),
        fields=[uploads_pb2.FormField(name=key, values=[value] if isinstance(value, str) else value)
                for key, value in fields.items()],
        filename=filename,
        file_fields=list(file_fields),
    )


def chunks_of(content: bytes, size: int = 1024) -> list[bytes]:
    return [content[start:start + size] for start in range(0, len(content), size)]


def requests_for(upload_header, content: bytes, chunk_size: int = 1024) -> list[uploads_pb2.UploadRequest]:
    """The message sequence of an Upload call."""
    return [uploads_pb2.UploadRequest(header=upload_header)] + [
        uploads_pb2.UploadRequest(chunk=chunk) for chunk in chunks_of(content, chunk_size)
    ]


class CountingStream:
    """An async stream of upload requests that counts how many were consumed."""

    def __init__(self, requests, while_streaming=None):
        self._requests = list(requests)
        self._while_streaming = while_streaming  # awaited once, before the first chunk
        self.consumed = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.consumed >= len(self._requests):
            raise StopAsyncIteration
        if self.consumed == 1 and self._while_streaming is not None:
            await self._while_streaming()
        self.consumed += 1
        return self._requests[self.consumed - 1]
