"""A large wheel uploaded through the gateway, against the time the same machine needs to check it.

Starts a whole instance as `make run` does (gateway, services, embedded NATS, SQLite; 2FA
required, as by default), creates a user with TOTP and an API token, and builds valid wheels of
SIZE MB (random incompressible 1 MiB members, WHEEL, METADATA, RECORD with every member's
sha256). Then, in one run, for each of ROUNDS wheels (distinct versions):

(a) "local check": this process computes md5+sha256+blake2b of the file and reads every member
    with zipfile (which checks each member's CRC), the least any uploader-side validation does;
(b) "upload": wall time of `POST /legacy/` with a streamed multipart body (aiohttp, the fields
    twine sends), until the 200 answer (the file validated, stored and recorded);
(c) memory: the resident set of every process of the instance, sampled every 20 ms (and the
    kernel's high-water mark), minus what it was before the upload.

Then one more wheel with the real `twine upload`. Targets (issue 8): upload ≤ 2× the local check;
every process grows by < 64 MB whatever the size. The CPU seconds (user+sys) of the gateway and
the uploads service per upload are printed too: they depend much less on the machine's load.

Usage: python -m bench.upload_large [--size-mb 50] [--rounds 3] [--no-twine]
A size over the default 100 MiB limit raises the instance's GATEHOUSE_MAX_FILE_SIZE.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.processes import MemorySampler, cpu_seconds
from bench.results import record, row
from bench.upload_client import basic_auth, file_digests, post_upload, wheel_fields
from bench.wheels import build_wheel
from tests.integration.flow import Maintainer, twine_upload
from tests.integration.harness import Gatehouse

PROJECT = "bench-large"
ONE_MB = 1024 * 1024
MEMORY_TARGET = 64 * ONE_MB
SERVING = ("gateway", "uploads")  # the processes an upload goes through


@dataclass
class Round:
    """One wheel's figures."""

    local_seconds: float
    local_cpu: float
    upload_seconds: float
    upload_cpu: dict[str, float]  # user+sys of the gateway and the uploads service
    growth: dict[str, int]


def local_check(path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to hash the file three ways and CRC-check every member.
    Raises zipfile.BadZipFile for a damaged archive."""
    started, cpu = time.perf_counter(), time.process_time()
    file_digests(path)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:  # zipfile checks the CRC at the member's end
                while member.read(ONE_MB):
                    pass
    return time.perf_counter() - started, time.process_time() - cpu


def uploader_token(instance: Gatehouse, username: str = "large") -> str:
    """A user-wide token of a new user with TOTP enrolled (uploads require a second factor)."""
    user = Maintainer(instance, username, f"{username}@example.org", f"{username}-uploads-long-bench-passphrase")
    user.create_with_cli()
    user.log_in()
    return user.create_token(f"bench-{username}")["token"]


async def _upload(url: str, token: str, path: Path, version: str) -> tuple[int, str]:
    fields = wheel_fields(PROJECT, version, file_digests(path))
    timeout = aiohttp.ClientTimeout(total=3600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with open(path, "rb") as handle:
            return await post_upload(session, f"{url}/legacy/", basic_auth("__token__", token),
                                     fields, path.name, handle)


def measured(instance: Gatehouse, action) -> tuple[float, dict[str, float], dict[str, int]]:
    """Runs `action()` while sampling memory: wall seconds, CPU seconds of each SERVING process,
    growth per process."""
    pids = {**instance.pids(), "supervisor": instance.process.pid}
    serving = {name: pids[name] for name in SERVING}
    sampler = MemorySampler(pids)
    cpu_before = {name: cpu_seconds(pid) for name, pid in serving.items()}
    sampler.start()
    started = time.perf_counter()
    try:
        action()
    finally:
        seconds = time.perf_counter() - started
        sampler.stop()
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in serving.items()}
    return seconds, cpu, sampler.growth()


def one_round(instance: Gatehouse, token: str, path: Path, version: str) -> Round:
    """The local check, then the upload of the same file through the gateway."""
    local_seconds, local_cpu = local_check(path)

    def upload() -> None:
        status, text = asyncio.run(_upload(instance.url, token, path, version))
        assert status == 200, f"upload answered {status}: {text}"

    seconds, cpu, growth = measured(instance, upload)
    return Round(local_seconds, local_cpu, seconds, cpu, growth)


def twine_round(instance: Gatehouse, token: str, path: Path) -> tuple[float, dict[str, float], dict[str, int]]:
    """The real `twine upload` of one more wheel (its wall time includes twine's own start-up
    and its hashing of the file)."""
    def upload() -> None:
        done = twine_upload(instance, token, [path])
        assert done.returncode == 0, done.stdout + done.stderr

    return measured(instance, upload)


def _mb(value: float) -> str:
    return f"{value / ONE_MB:.1f}"


def _cpu(rounds: list[Round], name: str | None = None) -> float:
    """Median CPU seconds per upload of one serving process, or of all of them."""
    return statistics.median(r.upload_cpu[name] if name else sum(r.upload_cpu.values()) for r in rounds)


def report(size_mb: int, rounds: list[Round], twine: tuple | None) -> None:
    """Prints the tables and records the headline rows."""
    local = statistics.median(r.local_seconds for r in rounds)
    upload = statistics.median(r.upload_seconds for r in rounds)
    ratio = upload / local
    # Less sensitive to other work on the machine than the wall-clock ratio.
    cpu_ratio = _cpu(rounds) / statistics.median(r.local_cpu for r in rounds)
    growth: dict[str, int] = {}
    for grown in [r.growth for r in rounds] + ([twine[2]] if twine else []):
        for name, value in grown.items():
            growth[name] = max(growth.get(name, 0), value)
    print(f"\n{size_mb} MB wheel through the gateway ({len(rounds)} uploads, median; SQLite, 2FA required)")
    print(f"| {'measure':<58} | {'value':>10} |\n|{'-' * 60}|{'-' * 12}|")
    lines = [
        ("(a) local check: md5+sha256+blake2b + CRC of every member, s", f"{local:.2f}"),
        ("(a) local check CPU (user+sys), s", f"{statistics.median(r.local_cpu for r in rounds):.2f}"),
        ("(b) upload POST /legacy/ (aiohttp, streamed), wall s", f"{upload:.2f}"),
        ("(b) upload / local check (target <= 2x)", f"{ratio:.2f}x"),
        ("(b) gateway+uploads CPU (user+sys) per upload, s", f"{_cpu(rounds):.2f}"),
        ("(b) CPU ratio: gateway+uploads CPU / local check CPU", f"{cpu_ratio:.2f}x"),
        *((f"(b) {name} CPU (user+sys) per upload, s", f"{_cpu(rounds, name):.2f}") for name in SERVING),
        ("(b) upload throughput, MB/s", f"{size_mb / upload:.0f}"),
    ]
    if twine is not None:
        lines += [("(b) real `twine upload`, wall s (incl. twine start-up)", f"{twine[0]:.2f}"),
                  ("(b) real `twine upload`, gateway+uploads CPU s", f"{sum(twine[1].values()):.2f}")]
    for name in sorted(growth):
        lines.append((f"(c) peak RSS growth: {name}, MB (target < 64)", _mb(growth[name])))
    for label, value in lines:
        print(f"| {label:<58} | {value:>10} |")
    worst = max(growth, key=growth.get)
    print(f"targets: upload <= 2x local check -> {'met' if ratio <= 2 else 'NOT met'}; "
          f"growth < 64 MB in every process (largest: {worst} {_mb(growth[worst])} MB) -> "
          f"{'met' if growth[worst] < MEMORY_TARGET else 'NOT met'}")
    record(f"upload_large_{size_mb}mb", [
        row(f"{size_mb} MB upload / local check", f"{ratio:.2f}x ({upload:.2f} s / {local:.2f} s)", "<= 2x", ratio <= 2),
        row(f"{size_mb} MB upload, gateway+uploads CPU / local check CPU",
            f"{cpu_ratio:.2f}x ({_cpu(rounds):.2f} s / {statistics.median(r.local_cpu for r in rounds):.2f} s)"),
        row(f"{size_mb} MB upload, largest RSS growth", f"{_mb(growth[worst])} MB ({worst})", "< 64 MB",
            growth[worst] < MEMORY_TARGET),
    ])


def run(size_mb: int, rounds: int, with_twine: bool) -> None:
    """Builds the wheels, starts an instance, measures, prints."""
    if size_mb * ONE_MB > 100 * ONE_MB:
        os.environ["GATEHOUSE_MAX_FILE_SIZE"] = str(2 * size_mb * ONE_MB)
    with tempfile.TemporaryDirectory(prefix="gh-bench-upload-large-") as scratch:
        where = Path(scratch)
        versions = [f"1.{index}" for index in range(rounds + (1 if with_twine else 0))]
        wheels = {v: build_wheel(where, PROJECT, v, size_mb * ONE_MB, seed=index) for index, v in enumerate(versions)}
        instance = Gatehouse(where / "data", nats_url="")
        instance.start()
        try:
            token = uploader_token(instance)
            results = [one_round(instance, token, wheels[v], v) for v in versions[:rounds]]
            twine = twine_round(instance, token, wheels[versions[-1]]) if with_twine else None
        finally:
            instance.stop()
    report(size_mb, results, twine)


def main() -> None:
    """Parses the command line and runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50, help="wheel size in MB (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="aiohttp uploads (default 3)")
    parser.add_argument("--no-twine", dest="twine", action="store_false", help="skip the twine upload")
    arguments = parser.parse_args()
    run(arguments.size_mb, arguments.rounds, arguments.twine)


if __name__ == "__main__":
    main()
