"""Headline figures of a benchmark run, kept under var/bench/ for `python -m bench.summary`.

Each benchmark module calls `record(name, rows)` once with its few headline figures; a row
names the metric, its value with a unit, the target (or "") and whether the target was met
(None when there is no target). The file of a benchmark is replaced on each run of it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def results_dir() -> Path:
    """Where the headline files go: $GATEHOUSE_BENCH_RESULTS, else var/bench/ in the checkout."""
    return Path(os.environ.get("GATEHOUSE_BENCH_RESULTS", ROOT / "var" / "bench"))


def row(metric: str, value: str, target: str = "", met: bool | None = None) -> dict:
    """One headline figure."""
    return {"metric": metric, "value": value, "target": target, "met": met}


def record(name: str, rows: list[dict]) -> Path:
    """Writes the headline rows of benchmark `name` (a file per name); returns the file.
    Raises OSError when the directory cannot be written."""
    directory = results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name.replace('/', '_').replace(' ', '_')}.json"
    target.write_text(json.dumps({"benchmark": name, "time": time.time(), "rows": rows}, indent=1))
    return target
