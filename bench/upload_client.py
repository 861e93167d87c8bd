"""One upload client for every upload benchmark: the legacy upload form as twine sends it
(`:action=file_upload`, the core metadata fields, three digests, then the file as the `content`
part), streamed by aiohttp from a file or from bytes, with HTTP Basic authentication."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import BinaryIO

import aiohttp

READ_CHUNK = 1024 * 1024


def file_digests(path: Path) -> dict[str, str]:
    """md5, sha256 and blake2b-256 of a file, read in 1 MiB chunks, as the form's field values."""
    hashes = {"md5_digest": hashlib.md5(), "sha256_digest": hashlib.sha256(),
              "blake2_256_digest": hashlib.blake2b(digest_size=32)}
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            for digest in hashes.values():
                digest.update(chunk)
    return {field: digest.hexdigest() for field, digest in hashes.items()}


def bytes_digests(content: bytes) -> dict[str, str]:
    """The same three digests of bytes in memory."""
    return {"md5_digest": hashlib.md5(content).hexdigest(),
            "sha256_digest": hashlib.sha256(content).hexdigest(),
            "blake2_256_digest": hashlib.blake2b(content, digest_size=32).hexdigest()}


def wheel_fields(name: str, version: str, digests: dict[str, str]) -> list[tuple[str, str]]:
    """The form fields twine sends for a pure-Python wheel."""
    return [(":action", "file_upload"), ("protocol_version", "1"), ("name", name),
            ("version", version), ("filetype", "bdist_wheel"), ("pyversion", "py3"),
            ("metadata_version", "2.1"), ("summary", "A Gatehouse benchmark package"),
            *digests.items()]


def basic_auth(username: str, password: str) -> dict[str, str]:
    """The HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def multipart(fields: list[tuple[str, str]], filename: str, content: bytes | BinaryIO) -> aiohttp.FormData:
    """The multipart body: fields first, then the file (streamed when it is a file object)."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields:
        form.add_field(name, value)
    form.add_field("content", content, filename=filename, content_type="application/octet-stream")
    return form


async def post_upload(session: aiohttp.ClientSession, url: str, auth: dict[str, str],
                      fields: list[tuple[str, str]], filename: str,
                      content: bytes | BinaryIO) -> tuple[int, str]:
    """POSTs one upload to `url` with the `auth` headers; the status and the body (reason
    phrase if empty).
    Raises aiohttp.ClientError on a transport failure."""
    async with session.post(url, data=multipart(fields, filename, content), headers=auth) as answer:
        body = await answer.text()
        return answer.status, body.strip() or (answer.reason or "")
