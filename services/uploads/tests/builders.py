"""Small real distributions and upload requests, built in memory for the tests."""

from __future__ import annotations

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


def wheel_bytes(name: str = "demo", version: str = "1.0", extra: bytes = b"") -> bytes:
    """A minimal wheel: a module and its dist-info/METADATA."""
    buffer = io.BytesIO()
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed time, so two builds of one wheel are the same bytes even across a clock second.
        for member, content in ((f"{name.replace('-', '_')}/__init__.py", b"VALUE = 1\n" + extra),
                                (f"{dist_info}/METADATA", metadata_text(name, version)),
                                (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\n")):
            archive.writestr(zipfile.ZipInfo(member, date_time=FIXED_TIME), content)
    return buffer.getvalue()


def sdist_bytes(stem: str = "demo-1.0", pkg_info: bool = True) -> bytes:
    """A minimal gzip tar sdist whose top directory is `stem`."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w") as archive:
        members = {f"{stem}/setup.py": b"# nothing\n"}
        if pkg_info:
            members[f"{stem}/PKG-INFO"] = b"Metadata-Version: 2.1\nName: demo\n"
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


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
