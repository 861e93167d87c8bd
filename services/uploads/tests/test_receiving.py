"""OffLoopWriter: bytes hashed and written off the event loop, in order, errors not lost."""

from __future__ import annotations

import hashlib
import threading

import pytest

from services.uploads.application.receiving import BATCH, OffLoopWriter
from services.uploads.domain.content import ContentMeter


class MemoryFile:
    """An IncomingFile in memory that records which threads wrote."""

    def __init__(self, fail_at: int = -1):
        self.data = bytearray()
        self.threads: set[int] = set()
        self.finished = False
        self._fail_at = fail_at

    def write(self, chunk: bytes) -> None:
        if self._fail_at >= 0 and len(self.data) >= self._fail_at:
            raise OSError("disk full")
        self.threads.add(threading.get_ident())
        self.data += chunk

    def finish(self) -> None:
        self.finished = True


def chunks(total: int, size: int) -> list[bytes]:
    return [bytes([index % 251]) * min(size, total - start) for index, start in enumerate(range(0, total, size))]


async def feed(writer: OffLoopWriter, meter: ContentMeter, parts: list[bytes]) -> None:
    for part in parts:
        meter.count(len(part))
        await writer.add(part)


async def test_every_byte_is_written_and_hashed_in_order_off_the_loop():
    parts = chunks(3 * BATCH + 12345, 100_000)
    meter, incoming = ContentMeter(10 * BATCH, "demo"), MemoryFile()
    writer = OffLoopWriter(meter, incoming)
    await feed(writer, meter, parts)
    await writer.finish()
    content = b"".join(parts)
    assert bytes(incoming.data) == content and incoming.finished
    assert meter.digests().sha256 == hashlib.sha256(content).hexdigest()
    assert threading.get_ident() not in incoming.threads


async def test_a_write_error_reaches_the_upload():
    meter, incoming = ContentMeter(10 * BATCH, "demo"), MemoryFile(fail_at=BATCH)
    writer = OffLoopWriter(meter, incoming)
    with pytest.raises(OSError, match="disk full"):
        await feed(writer, meter, chunks(3 * BATCH, BATCH))
        await writer.finish()
    assert not incoming.finished


async def test_abandon_waits_for_the_batch_in_flight_and_drops_its_error():
    meter, incoming = ContentMeter(10 * BATCH, "demo"), MemoryFile(fail_at=0)
    writer = OffLoopWriter(meter, incoming)
    await feed(writer, meter, chunks(BATCH, BATCH))  # one batch handed to the threads
    await writer.abandon()
    assert incoming.data == bytearray()


async def test_a_small_file_is_written_whole():
    meter, incoming = ContentMeter(BATCH, "demo"), MemoryFile()
    writer = OffLoopWriter(meter, incoming)
    await feed(writer, meter, [b"abc", b"def"])
    await writer.finish()
    assert bytes(incoming.data) == b"abcdef" and incoming.finished
    assert meter.digests().md5 == hashlib.md5(b"abcdef").hexdigest()
