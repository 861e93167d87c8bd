"""10 KB uploads from 8 concurrent clients: Gatehouse against pypiserver and devpi-server.

In one run, each server alone on loopback on a free port: a whole Gatehouse instance as
`make run` starts it (SQLite, 2FA required: the uploader has TOTP and a user-wide API token),
pypiserver (uploads authenticated by an htpasswd file) and devpi-server (a user and an index
made with devpi-client). The peers are installed into .bench-venv/ (made with pip on first use).
The same client (bench.upload_client: aiohttp, the multipart form twine sends, HTTP Basic) runs
8 concurrent upload loops for SECONDS (after one second of warm-up, not counted); every upload is
a new wheel of the same project with a new version (10 KB of random bytes in a valid wheel), so
nothing is refused as already existing. Printed per server: uploads per second (2xx answers),
latency p50 and p99, errors (any other answer or a transport failure), and the server's CPU
seconds (user+sys, all its processes) per upload, which depends little on the machine's load.
Target (issue 8): Gatehouse ahead of both. After its window each server also takes one 50 MB
wheel (issue 7: "time for a 50 MB upload ... side by side"), timed from the first byte sent to
the answer.

Usage: python -m bench.upload_peers [SECONDS] [CLIENTS] [LARGE_MB]   (default 10 s, 8 clients, 50 MB)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench import peers
from bench.event_latency import percentile
from bench.processes import total_cpu_seconds
from bench.results import record, row
from bench.upload_client import basic_auth, bytes_digests, post_upload, wheel_fields
from bench.upload_large import uploader_token
from bench.wheels import build_wheel, wheel_bytes, wheel_filename
from tests.integration.harness import Gatehouse

PROJECT = "bench-peers"
PAYLOAD = 10 * 1024
WARM_UP = 1.0
LARGE_VERSION = "2.0.0"
LARGE_WHEEL: list[Path] = []  # the large wheel, built once per run (empty: not measured)


@dataclass
class Outcome:
    """What one server did in the measured window."""

    server: str
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, successful uploads
    errors: list[str] = field(default_factory=list)
    cpu_by_process: dict[str, float] = field(default_factory=dict)
    large_seconds: float = 0.0  # one large upload after the window (0: not measured)
    large_error: str = ""
    large_bytes: int = 0

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_process.values())

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


async def _client(session, url: str, auth: dict, client: int, window: tuple[float, float], outcome: Outcome) -> None:
    """Uploads new versions until the window closes; records those started inside it."""
    start, end = window
    for serial in range(10**9):
        if time.monotonic() >= end:
            return
        version = f"1.{client}.{serial}"
        content = wheel_bytes(PROJECT, version, PAYLOAD, seed=client * 1_000_000 + serial)
        fields = wheel_fields(PROJECT, version, bytes_digests(content))
        began = time.monotonic()
        try:
            status, text = await post_upload(session, url, auth, fields, wheel_filename(PROJECT, version), content)
        except aiohttp.ClientError as error:
            status, text = 0, repr(error)
        if start <= began < end:
            if 200 <= status < 300:
                outcome.latencies.append((time.monotonic() - began) * 1000)
            else:
                outcome.errors.append(f"{status} {text[:200]}")


async def load(server: str, url: str, auth: dict, seconds: float, clients: int, pids: dict[str, int]) -> Outcome:
    """Runs `clients` upload loops against `url`; the outcome of the measured `seconds`."""
    outcome = Outcome(server, seconds)
    now = time.monotonic()
    window = (now + WARM_UP, now + WARM_UP + seconds)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        tasks = [asyncio.create_task(_client(session, url, auth, index, window, outcome)) for index in range(clients)]
        await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
        cpu_before = {name: total_cpu_seconds({name: pid}) for name, pid in pids.items()}
        await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
        outcome.cpu_by_process = {name: total_cpu_seconds({name: pid}) - cpu_before[name]
                                  for name, pid in pids.items()}
        await asyncio.gather(*tasks)
    return outcome


async def large_upload(url: str, auth: dict, wheel: Path, outcome: Outcome) -> None:
    """Times one upload of the large `wheel` (its version is one no loop used)."""
    content = wheel.read_bytes()
    fields = wheel_fields(PROJECT, LARGE_VERSION, bytes_digests(content))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        began = time.monotonic()
        status, text = await post_upload(session, url, auth, fields, wheel.name, content)
        outcome.large_seconds = time.monotonic() - began
    outcome.large_bytes = len(content)
    if not 200 <= status < 300:
        outcome.large_error = f"{status} {text[:200]}"


def gatehouse(scratch: Path, seconds: float, clients: int) -> Outcome:
    """The measured window against a whole Gatehouse instance."""
    instance = Gatehouse(scratch / "gatehouse", nats_url="")
    instance.start()
    try:
        auth = basic_auth("__token__", uploader_token(instance, "peers"))
        pids = {**instance.pids(), "supervisor": instance.process.pid}
        outcome = asyncio.run(load("Gatehouse", f"{instance.url}/legacy/", auth, seconds, clients, pids))
        if LARGE_WHEEL:
            asyncio.run(large_upload(f"{instance.url}/legacy/", auth, LARGE_WHEEL[0], outcome))
        return outcome
    finally:
        instance.stop()


def peer(start, scratch: Path, seconds: float, clients: int) -> Outcome:
    """The measured window against a peer started by `start(scratch)`."""
    with start(scratch) as running:
        auth = basic_auth(peers.USER, peers.PASSWORD)
        outcome = asyncio.run(load(running.name, running.upload_url, auth, seconds, clients,
                                   {running.name: running.process.pid}))
        if LARGE_WHEEL:
            asyncio.run(large_upload(running.upload_url, auth, LARGE_WHEEL[0], outcome))
        return outcome


def table(outcomes: list[Outcome], clients: int) -> None:
    """Prints the comparison and records the headline rows."""
    print(f"\n10 KB wheel uploads, {clients} concurrent clients, {outcomes[0].seconds:g} s each, same client code")
    print(f"| {'server':<13} | {'uploads/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'errors':>6} "
          f"| {'server CPU ms/upload':>20} | {'large upload s':>14} |")
    print(f"|{'-' * 15}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 22}|{'-' * 16}|")
    for outcome in outcomes:
        latencies = outcome.latencies or [0.0]
        cpu = outcome.cpu_seconds * 1000 / max(1, len(outcome.latencies))
        print(f"| {outcome.server:<13} | {outcome.per_second:9.1f} | {percentile(latencies, .5):7.1f} "
              f"| {percentile(latencies, .99):7.1f} | {len(outcome.errors):6d} | {cpu:20.1f} "
              f"| {_large_text(outcome):>14} |")
    ours = outcomes[0]
    per_upload = {name: cpu * 1000 / max(1, len(ours.latencies)) for name, cpu in ours.cpu_by_process.items()}
    print("Gatehouse CPU ms per upload by process: " + ", ".join(
        f"{name} {ms:.1f}" for name, ms in sorted(per_upload.items(), key=lambda item: -item[1]) if ms >= 0.05))
    print(f"Gatehouse gateway+uploads CPU per upload: {per_upload.get('gateway', 0) + per_upload.get('uploads', 0):.1f} ms")
    for outcome in outcomes:
        if outcome.errors:
            print(f"first error from {outcome.server}: {outcome.errors[0]}")
        if outcome.large_error:
            print(f"large upload refused by {outcome.server}: {outcome.large_error}")
    others = outcomes[1:]
    ahead = all(ours.per_second > other.per_second for other in others)
    print(f"target: Gatehouse ahead of both -> {'met' if ahead else 'NOT met'}")
    record("upload_peers", [
        row(f"10 KB uploads/s, {clients} clients: {o.server}", f"{o.per_second:.1f}/s "
            f"(p50 {percentile(o.latencies or [0.0], .5):.0f} ms, {len(o.errors)} errors, "
            f"{o.cpu_seconds * 1000 / max(1, len(o.latencies)):.1f} CPU-ms/upload)",
            "ahead of peers" if o is ours else "", ahead if o is ours else None)
        for o in outcomes] + [
        row(f"{o.large_bytes / 1e6:.0f} MB upload, seconds: {o.server}", _large_text(o))
        for o in outcomes if o.large_bytes])


def _large_text(outcome: Outcome) -> str:
    if not outcome.large_seconds:
        return "-"
    return "refused" if outcome.large_error else f"{outcome.large_seconds:.2f}"


def run(seconds: float, clients: int, large_mb: int = 50) -> None:
    """Measures the three servers one after the other and prints the table."""
    peers.ensure_venv()
    with tempfile.TemporaryDirectory(prefix="gh-bench-upload-peers-") as scratch:
        where = Path(scratch)
        LARGE_WHEEL.clear()
        if large_mb:
            (where / "large").mkdir()
            LARGE_WHEEL.append(build_wheel(where / "large", PROJECT, LARGE_VERSION, large_mb * 1_000_000))
        outcomes = [gatehouse(where, seconds, clients),
                    peer(peers.pypiserver, where, seconds, clients),
                    peer(peers.devpi_server, where, seconds, clients)]
    table(outcomes, clients)


if __name__ == "__main__":
    run(float(sys.argv[1]) if len(sys.argv) > 1 else 10, int(sys.argv[2]) if len(sys.argv) > 2 else 8,
        int(sys.argv[3]) if len(sys.argv) > 3 else 50)
