"""Where distribution files live: content-addressed paths under $GATEHOUSE_DATA/files.

An upload is written to a temporary file under files/.incoming while it streams in, then moved
into place with an atomic rename before the database commit: a file without a row is harmless,
a row without a file is not.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from services.uploads.domain.errors import FileNotFound


class IncomingFile(Protocol):
    """An upload being received."""

    path: Path

    def write(self, chunk: bytes) -> None:
        """Appends bytes to the file."""

    def finish(self) -> None:
        """Flushes and closes the file so it can be read back."""


class FileStore(Protocol):
    """The storage port the upload handlers use."""

    def incoming(self) -> contextlib.AbstractContextManager[IncomingFile]:
        """A temporary file for an upload, removed on exit unless kept."""

    def keep(self, incoming: IncomingFile, sha256: str, filename: str, metadata: bytes | None) -> str:
        """Moves the file (and its PEP 658 metadata) into place; returns the relative path."""

    def open(self, relative_path: str) -> BinaryIO:
        """Opens a stored file for reading. Raises FileNotFound."""


def relative_path_for(sha256: str, filename: str) -> str:
    """The storage path of a file, relative to the files directory."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256[4:]}/{filename}"


class _TemporaryFile:
    def __init__(self, directory: Path):
        descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self._handle = os.fdopen(descriptor, "wb")

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)

    def finish(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()


class LocalFileStore:
    """A FileStore on the local file system (a shared volume when replicated)."""

    def __init__(self, root: Path):
        self.root = root
        self._incoming_dir = root / ".incoming"

    @contextlib.contextmanager
    def incoming(self) -> Iterator[IncomingFile]:
        """A temporary file, removed on exit unless `keep` moved it away."""
        self._incoming_dir.mkdir(parents=True, exist_ok=True)
        temporary = _TemporaryFile(self._incoming_dir)
        try:
            yield temporary
        finally:
            temporary.finish()
            temporary.path.unlink(missing_ok=True)

    def keep(self, incoming: IncomingFile, sha256: str, filename: str, metadata: bytes | None) -> str:
        """Moves `incoming` to its content-addressed path (atomic rename); the metadata first,
        so a stored wheel always has its .metadata beside it."""
        incoming.finish()
        relative = relative_path_for(sha256, filename)
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        if metadata is not None:
            self._write_atomically(final.with_name(final.name + ".metadata"), metadata)
        os.replace(incoming.path, final)
        _sync_directory(final.parent)
        return relative

    def _write_atomically(self, target: Path, content: bytes) -> None:
        with self.incoming() as temporary:
            temporary.write(content)
            temporary.finish()
            os.replace(temporary.path, target)

    def open(self, relative_path: str) -> BinaryIO:
        """Opens a stored file. Raises FileNotFound when it is missing or outside the store."""
        root = self.root.resolve()
        target = (root / relative_path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise FileNotFound("No such file.")
        return target.open("rb")


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
