"""Step 4 of an upload: the file's bytes, measured and hashed as they stream in."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from services.uploads.domain.errors import DigestMismatch, EmptyFile, FileTooLarge

ONE_MIB = 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 100 * ONE_MIB


@dataclass(frozen=True)
class Digests:
    """Hex digests of a file, by the algorithm names the form uses."""

    md5: str
    sha256: str
    blake2_256: str

    def by_algorithm(self) -> dict[str, str]:
        """The digests keyed by the names UploadForm.digests uses."""
        return {"md5": self.md5, "sha256": self.sha256, "blake2_256": self.blake2_256}


def describe_limit(limit: int) -> str:
    """A size limit as the refusal states it ("100 MB", or bytes below a mebibyte)."""
    return f"{limit // ONE_MIB} MB" if limit >= ONE_MIB else f"{limit} bytes"


class ContentMeter:
    """Counts and hashes an upload's bytes, refusing the chunk that crosses the size limit."""

    def __init__(self, limit: int, project_name: str):
        self.size = 0
        self._limit = limit
        self._project_name = project_name
        self._hashes = (hashlib.md5(), hashlib.sha256(), hashlib.blake2b(digest_size=32))

    def add(self, chunk: bytes) -> None:
        """Accounts for `chunk`. Raises FileTooLarge as soon as the total passes the limit."""
        self.count(len(chunk))
        self.update(chunk)

    def count(self, size: int) -> None:
        """Counts `size` more bytes, without hashing them yet (see `update`).
        Raises FileTooLarge as soon as the total passes the limit."""
        self.size += size
        if self.size > self._limit:
            raise FileTooLarge(
                f"File too large. Limit for project '{self._project_name}' is "
                f"{describe_limit(self._limit)}."
            )

    def update(self, data: bytes) -> None:
        """Hashes bytes already counted. hashlib releases the GIL for large buffers, so this may
        run in a worker thread while the next bytes stream in."""
        self.update_md5(data)
        self.update_sha2_blake2(data)

    def update_md5(self, data: bytes) -> None:
        """The MD5 part of `update` (about as long as the other two together: see receiving)."""
        self._hashes[0].update(data)

    def update_sha2_blake2(self, data: bytes) -> None:
        """The SHA-256 and BLAKE2b parts of `update`."""
        self._hashes[1].update(data)
        self._hashes[2].update(data)

    def digests(self) -> Digests:
        """The digests of everything added so far."""
        md5, sha256, blake2 = (digest.hexdigest() for digest in self._hashes)
        return Digests(md5=md5, sha256=sha256, blake2_256=blake2)


def check_not_empty(size: int) -> None:
    """Raises EmptyFile for a zero-byte upload."""
    if size == 0:
        raise EmptyFile("The uploaded file is empty.")


def check_digests(supplied: Mapping[str, str], computed: Digests) -> None:
    """Raises DigestMismatch unless every supplied digest equals the computed one."""
    actual = computed.by_algorithm()
    for algorithm, value in supplied.items():
        # Constant time: a digest is not secret, but this keeps the habit uniform.
        if not hmac.compare_digest(value.lower().encode(), actual[algorithm].encode()):
            raise DigestMismatch(
                "The digest supplied does not match a digest calculated from the uploaded file."
            )
