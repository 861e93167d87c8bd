"""One table of every benchmark's headline figures (issue 7), from the files the benchmark
modules wrote under var/bench/ (see bench.results), with the date and the machine.

Usage: python -m bench.summary [--since EPOCH_SECONDS]   (only results written since then)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

from bench.results import results_dir


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (the platform's processor string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """Cores, CPU model, memory and the load average now (the machine may be shared)."""
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average %.1f %.1f %.1f" % os.getloadavg()
    return f"{os.cpu_count()} cores, {cpu_model()}{memory}, {platform.system()} {platform.release()}{load}"


def load_results(since: float) -> list[dict]:
    """The recorded benchmarks written at or after `since`, oldest first."""
    found = []
    for path in sorted(results_dir().glob("*.json")):
        result = json.loads(path.read_text())
        if result.get("time", 0) >= since:
            found.append(result)
    return sorted(found, key=lambda result: result["time"])


def _target(entry: dict) -> str:
    if not entry.get("target"):
        return ""
    verdict = {True: "met", False: "NOT met", None: ""}[entry.get("met")]
    return f"{entry['target']} {verdict}".strip()


def print_table(results: list[dict]) -> None:
    """Prints the Markdown table of all headline rows."""
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\nBenchmark summary, {today}; machine: {machine()}")
    rows = [(entry["metric"], entry["value"], _target(entry)) for result in results for entry in result["rows"]]
    widths = [max([len(header)] + [len(r[i]) for r in rows]) for i, header in enumerate(("figure", "value", "target"))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(("figure", "value", "target"), widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for figure in rows:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(figure, widths)) + " |")


def main() -> None:
    """Parses the command line and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", type=float, default=0.0, help="ignore results older than this (epoch s)")
    print_table(load_results(parser.parse_args().since))


if __name__ == "__main__":
    main()
