"""Where distribution files live: content-addressed paths under $GATEHOUSE_DATA/files.

As on PyPI, a file's path is derived from its BLAKE2b-256 digest:
`<b2[:2]>/<b2[2:4]>/<b2[4:]>/<filename>`. Paths recorded before (sha256-based) stay valid: every
FileAdded event carries the path it was stored under.

An upload is written to a temporary file under files/.incoming while it streams in, then linked
into place before the database commit: a file without a row is harmless, a row without a file is
not. A stored path is never overwritten (a hard link fails when the name exists), so the bytes
under a path never change; a path whose record lost a race is removed again (`discard`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import structlog

from services.uploads.domain.errors import FileNotFound

log = structlog.get_logger(__name__)
METADATA_SUFFIX = ".metadata"


class IncomingFile(Protocol):
    """An upload being received."""

    path: Path

    def write(self, chunk: bytes) -> None:
        """Appends bytes to the file."""

    def finish(self) -> None:
        """Flushes and closes the file so it can be read back."""


@dataclass(frozen=True)
class StoredFile:
    """Where `keep` put a file, and whether this call created the path (False: it was there)."""

    path: str
    created: bool


class FileStore(Protocol):
    """The storage port the upload handlers use."""

    def incoming(self) -> contextlib.AbstractContextManager[IncomingFile]:
        """A temporary file for an upload, removed on exit."""

    def keep(self, incoming: IncomingFile, blake2_256: str, filename: str, metadata: bytes | None) -> StoredFile:
        """Links the file (and its PEP 658 metadata) into its content-addressed place, never
        replacing what is there; returns the relative path."""

    def discard(self, relative_path: str) -> None:
        """Removes a path `keep` created whose record was then refused."""

    def open(self, relative_path: str) -> BinaryIO:
        """Opens a stored file for reading. Raises FileNotFound."""


def relative_path_for(blake2_256: str, filename: str) -> str:
    """The storage path of a file, relative to the files directory (PyPI's layout)."""
    return f"{blake2_256[:2]}/{blake2_256[2:4]}/{blake2_256[4:]}/{filename}"


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
    """A FileStore on the local file system. One uploads process owns a files directory: it
    empties files/.incoming when it starts (`sweep_incoming`)."""

    def __init__(self, root: Path):
        self.root = root
        self._incoming_dir = root / ".incoming"

    def sweep_incoming(self) -> int:
        """Removes what a killed process left half-received in files/.incoming; returns how many."""
        if not self._incoming_dir.is_dir():
            return 0
        removed = 0
        for leftover in self._incoming_dir.iterdir():
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed

    @contextlib.contextmanager
    def incoming(self) -> Iterator[IncomingFile]:
        """A temporary file, removed on exit (what `keep` linked into place stays there)."""
        self._incoming_dir.mkdir(parents=True, exist_ok=True)
        temporary = _TemporaryFile(self._incoming_dir)
        try:
            yield temporary
        finally:
            temporary.finish()
            temporary.path.unlink(missing_ok=True)

    def keep(self, incoming: IncomingFile, blake2_256: str, filename: str, metadata: bytes | None) -> StoredFile:
        """Links `incoming` to its content-addressed path, the metadata first so a stored wheel
        always has its .metadata beside it. An existing path is left as it is (same digest and
        name: the same bytes, from a concurrent identical upload)."""
        incoming.finish()
        relative = relative_path_for(blake2_256, filename)
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        if metadata is not None:
            self._write_once(final.with_name(final.name + METADATA_SUFFIX), metadata)
        created = _link_once(incoming.path, final)
        _sync_directory(final.parent)
        return StoredFile(relative, created)

    def _write_once(self, target: Path, content: bytes) -> None:
        with self.incoming() as temporary:
            temporary.write(content)
            temporary.finish()
            _link_once(temporary.path, target)

    def discard(self, relative_path: str) -> None:
        """Removes a stored file and its metadata (a refused record's). Never raises for a
        missing file."""
        final = self.root / relative_path
        final.with_name(final.name + METADATA_SUFFIX).unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        log.info("storage.discarded", path=relative_path)

    def open(self, relative_path: str) -> BinaryIO:
        """Opens a stored file. Raises FileNotFound when it is missing or outside the store."""
        root = self.root.resolve()
        target = (root / relative_path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise FileNotFound("No such file.")
        return target.open("rb")


def _link_once(source: Path, target: Path) -> bool:
    # A hard link never replaces an existing name, unlike a rename: what is stored stays stored.
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    return True


def _sync_directory(directory: Path) -> None:
    # The new name is durable only once the directory entry is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
