"""Parsing work spent on hostile tokens: read (size bound, base64, macaroon) and verify (signature,
caveat pipeline) for each kind of hostile input, in microseconds. Issue target: "well under a
millisecond of parsing work each". Usage: python -m bench.hostile_tokens [REPEATS]
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import time

from pymacaroons import Macaroon

from bench.results import record, row
from services.tokens.adapters.crypto import new_root_key
from services.tokens.adapters.macaroons import MAX_CAVEATS, MAX_SECRET_LENGTH, MacaroonCodec
from services.tokens.domain.caveats import CaveatPipeline, Presentation
from services.tokens.domain.errors import TokenMalformed

PREFIX = "gatehouse-"
CODEC = MacaroonCodec(PREFIX, "https://index.example")
ROOT_KEY = new_root_key()
PRESENTATION = Presentation("user-1", "demo", "upload", "1.0", "127.0.0.1", 1_800_000_000)


def _minted(*caveats: str) -> Macaroon:
    secret = CODEC.mint("7d3c1d2e-0000-4000-8000-000000000001", ROOT_KEY, ['{"user":"user-1","v":1}', *caveats])
    return Macaroon.deserialize(secret.removeprefix(PREFIX))


def _with(*caveats: str, count: int = 1) -> str:
    macaroon = _minted()
    for _ in range(count):
        for caveat in caveats:
            macaroon.add_first_party_caveat(caveat)
    return PREFIX + macaroon.serialize()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HOSTILE = {
    "random bytes (300)": PREFIX + _b64(os.urandom(300)),
    "truncated token": _with('{"v":1,"projects":["demo"]}')[:60],
    "oversized base64 (10 MB)": PREFIX + "A" * 10_000_000,
    "just over the size bound": PREFIX + "A" * (MAX_SECRET_LENGTH + 1),
    f"{MAX_CAVEATS + 1} caveats": _with("{}", count=MAX_CAVEATS + 1),
    "2,000 caveats": _with('{"v":1,"nbf":1}', count=2000),
    "deeply nested caveat JSON": _with("[" * 5000 + "]" * 5000),
    "invalid caveat JSON": _with('{"v":1,"projects":["a"]'),
    "unknown caveat version (signed)": _with('{"v":2,"projects":["demo"]}'),
    "one byte changed": _with('{"v":1,"projects":["demo"]}')[:-3] + "AAA",
}


def parse_once(secret: str) -> None:
    try:
        presented = CODEC.read(secret)
    except TokenMalformed:
        return
    CODEC.verify(presented, ROOT_KEY, CaveatPipeline(PRESENTATION))


def measure(secret: str, repeats: int) -> list[float]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        parse_once(secret)
        timings.append((time.perf_counter() - started) * 1e6)
    return timings


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"\nHostile tokens: read + verify work per token ({repeats} repeats each; target well under 1,000 µs)")
    print("| input                              | p50 µs | max µs |")
    print("|------------------------------------|--------|--------|")
    worst = 0.0
    for name, secret in HOSTILE.items():
        timings = measure(secret, repeats)
        worst = max(worst, statistics.median(timings))
        print(f"| {name:<34} | {statistics.median(timings):6.1f} | {max(timings):6.1f} |")
    record("hostile_tokens", [row("hostile token, worst p50 work", f"{worst:.1f} µs", "< 1,000 µs", worst < 1000)])


if __name__ == "__main__":
    main()
