"""A strict gzip reader (RFC 1952): exactly one member, read to its end, its CRC and length
checked, nothing after it. Python's gzip module accepts concatenated members and skips trailing
zeros, so a second archive could hide there; this reader refuses both.

It is also the forward-only, seekable file object tarfile reads the sdist from: tarfile seeks
forward over member data (which is decompressed, never stored) and back at most one block.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.archives.problems import ArchiveProblem

FLAG_HEADER_CRC, FLAG_EXTRA, FLAG_NAME, FLAG_COMMENT, FLAG_RESERVED = 0x02, 0x04, 0x08, 0x10, 0xE0
MAX_HEADER_FIELD = 64 * 1024
OUTPUT_PIECE = 256 * 1024
REWIND = 1024  # tarfile steps back at most one 512-byte block


class _HeaderReader:
    def __init__(self, handle: BinaryIO):
        self.handle, self.consumed = handle, bytearray()

    def take(self, length: int) -> bytes:
        data = self.handle.read(length)
        if len(data) != length:
            raise ArchiveProblem("it is truncated")
        self.consumed += data
        return data

    def zero_terminated(self) -> None:
        for _ in range(MAX_HEADER_FIELD):
            if self.take(1) == b"\0":
                return
        raise ArchiveProblem("its gzip header is malformed")


def read_gzip_header(handle: BinaryIO) -> int:
    """Reads the member header from the start of `handle`; returns its length.
    Raises ArchiveProblem for a file that is not gzip or a malformed header."""
    handle.seek(0)
    reader = _HeaderReader(handle)
    magic, method, flags = struct.unpack("<2sBB", reader.take(4))
    if magic != b"\x1f\x8b":
        raise ArchiveProblem("it is not a gzip file")
    if method != 8 or flags & FLAG_RESERVED:
        raise ArchiveProblem("its gzip header is malformed")
    reader.take(6)  # modification time, extra flags, operating system
    if flags & FLAG_EXTRA:
        reader.take(struct.unpack("<H", reader.take(2))[0])
    if flags & FLAG_NAME:
        reader.zero_terminated()
    if flags & FLAG_COMMENT:
        reader.zero_terminated()
    if flags & FLAG_HEADER_CRC:
        expected = zlib.crc32(bytes(reader.consumed)) & 0xFFFF
        if struct.unpack("<H", reader.take(2))[0] != expected:
            raise ArchiveProblem("its gzip header fails its CRC check")
    return len(reader.consumed)


class GzipStream:
    """The decompressed bytes of a single-member gzip file, read forward.

    `read` raises ArchiveProblem for a damaged or truncated stream, a bomb (limits), a bad CRC or
    length, a second member or trailing data (checked when the deflate stream ends).
    """

    def __init__(self, handle: BinaryIO, size: int, limits: ArchiveLimits):
        self._handle, self._size, self._limits = handle, size, limits
        self._compressed_left = size - read_gzip_header(handle)
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self._pending, self._piece, self._at = b"", b"", 0
        self._history = b""
        self._position, self._crc, self._finished, self._decompressed = 0, 0, False, 0

    def tell(self) -> int:
        """How many decompressed bytes were read."""
        return self._position

    def seek(self, position: int, whence: int = 0) -> int:
        """Moves forward by decompressing, or back within the last block. Raises ArchiveProblem."""
        if whence != 0:
            raise ArchiveProblem("its tar stream asks for a random access")
        if position < self._position:
            self._rewind(self._position - position)
        while self._position < position:
            if not self.read(min(position - self._position, OUTPUT_PIECE)):
                break
        return self._position

    def _rewind(self, distance: int) -> None:
        if distance > len(self._history):
            raise ArchiveProblem("its tar stream asks for a random access")
        self._piece = self._history[-distance:] + self._piece[self._at:]
        self._at, self._history, self._position = 0, self._history[:-distance], self._position - distance

    def read(self, size: int = -1) -> bytes:
        """Up to `size` decompressed bytes (fewer only at the end). Raises ArchiveProblem."""
        wanted = size if size >= 0 else self._limits.max_uncompressed + 1
        if wanted > self._limits.max_small_member:
            # tarfile reads a pax or GNU long-name header whole; members come in bounded reads.
            raise ArchiveProblem("it has a tar extended header that is too large")
        parts, length = [], 0
        while length < wanted:
            if self._at == len(self._piece) and not self._next_piece():
                break
            part = self._piece[self._at:self._at + wanted - length]
            self._at += len(part)
            parts.append(part)
            length += len(part)
        data = b"".join(parts)
        self._position += len(data)
        self._history = data[-REWIND:] if len(data) >= REWIND else (self._history + data)[-REWIND:]
        return data

    def _next_piece(self) -> bool:
        while not self._finished:
            if not self._pending and self._compressed_left:
                self._pending = self._read_compressed()
            starved = not self._pending
            try:
                piece = self._inflater.decompress(self._pending, OUTPUT_PIECE)
            except zlib.error:
                raise ArchiveProblem("its gzip stream is damaged") from None
            progressed = bool(piece) or len(self._inflater.unconsumed_tail) < len(self._pending)
            self._pending = self._inflater.unconsumed_tail
            self._account(piece)
            if self._inflater.eof:
                self._finish()
            if piece:
                self._piece, self._at = piece, 0
                return True
            if starved and not self._finished:
                raise ArchiveProblem("it is truncated")
            if not progressed and not self._finished:
                raise ArchiveProblem("its gzip stream is damaged")
        return False

    def _read_compressed(self) -> bytes:
        data = self._handle.read(min(self._limits.chunk_size, self._compressed_left))
        if not data:
            raise ArchiveProblem("it is truncated")
        self._compressed_left -= len(data)
        return data

    def _account(self, piece: bytes) -> None:
        self._crc = zlib.crc32(piece, self._crc)
        self._decompressed += len(piece)
        self._limits.check_expansion(self._decompressed, self._size)

    def _finish(self) -> None:
        self._finished = True
        after_stream = self._inflater.unused_data + self._pending
        available = len(after_stream) + self._compressed_left
        if available < 8:
            raise ArchiveProblem("it is truncated")
        trailer = after_stream + self._handle.read(min(self._compressed_left, 10))
        if available > 8:
            more = "a second gzip member" if trailer[8:10] == b"\x1f\x8b" else "data after its gzip stream"
            raise ArchiveProblem(f"it has {more}")
        crc, length = struct.unpack("<II", trailer[:8])
        if crc != self._crc or length != self._decompressed & 0xFFFFFFFF:
            raise ArchiveProblem("its gzip stream fails its CRC or length check")
