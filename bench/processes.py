"""Memory and CPU time of a running instance's processes, read from /proc (psutil if present).

`MemorySampler` samples the resident set size of every process of an instance in a thread while
a benchmark runs; `cpu_seconds` reads user+system time, which depends much less than wall time
on what else the (shared) machine is doing.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

try:  # optional: /proc is enough on Linux
    import psutil
except ImportError:  # pragma: no cover - depends on the machine
    psutil = None

_TICKS = os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss_bytes(pid: int) -> int:
    """The resident set size of `pid`. Raises OSError when the process is gone."""
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss
        except psutil.Error as error:
            raise OSError(str(error)) from error
    return _status_kib(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int) -> int:
    """The high-water mark of the resident set (VmHWM) of `pid`. Raises OSError when gone."""
    return _status_kib(pid, "VmHWM") * 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far. Raises OSError when it is gone."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


def total_cpu_seconds(pids: dict[str, int]) -> float:
    """The sum of `cpu_seconds` over `pids` (processes that are gone count 0)."""
    total = 0.0
    for pid in pids.values():
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


@dataclass
class MemorySampler:
    """Samples the RSS of `pids` every `interval` seconds between `start()` and `stop()`."""

    pids: dict[str, int]
    interval: float = 0.02
    before: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    hwm_before: dict[str, int] = field(default_factory=dict)
    hwm_after: dict[str, int] = field(default_factory=dict)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            try:
                self.peak[name] = max(self.peak.get(name, 0), rss_bytes(pid))
            except OSError:
                pass

    def _loop(self) -> None:
        while not self._done.wait(self.interval):
            self._sample()

    def start(self) -> None:
        """Records the resident sets now and starts sampling."""
        self.before = {name: rss_bytes(pid) for name, pid in self.pids.items()}
        self.hwm_before = {name: peak_rss_bytes(pid) for name, pid in self.pids.items()}
        self.peak = dict(self.before)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops sampling (after one last sample)."""
        self._done.set()
        if self._thread:
            self._thread.join()
        self._sample()
        self.hwm_after = {name: peak_rss_bytes(pid) for name, pid in self.pids.items()}

    def growth(self) -> dict[str, int]:
        """Per process: the largest of the sampled peak and the kernel's high-water mark (when it
        rose during the run), minus the resident set before. Bytes."""
        grown = {}
        for name, before in self.before.items():
            peak = self.peak.get(name, before)
            if self.hwm_after.get(name, 0) > self.hwm_before.get(name, 0):
                peak = max(peak, self.hwm_after[name])
            grown[name] = max(0, peak - before)
        return grown
