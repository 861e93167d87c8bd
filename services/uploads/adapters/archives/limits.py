"""How much an archive may hold, and what to do when a wheel's RECORD disagrees with it.

Every limit is a setting (read once by bootstrap) whose default is the issue's rule."""

from __future__ import annotations

import os
from dataclasses import dataclass

from services.uploads.adapters.archives.problems import ArchiveProblem

MIB = 1024 * 1024
RECORD_POLICIES = ("refuse", "warn")


@dataclass(frozen=True)
class ArchiveLimits:
    """Bomb limits and the RECORD mismatch policy.

    An archive is a bomb when it expands to more than `max_uncompressed` bytes AND more than
    `max_ratio` times its compressed size (a big but honest archive passes), or holds more than
    `max_members` members.
    """

    max_uncompressed: int = 64 * MIB
    max_ratio: int = 50
    max_members: int = 50_000
    # "refuse" (default) or "warn": a RECORD that disagrees with the archive becomes a warning.
    record_mismatch: str = "refuse"
    # Members are read in chunks of this size, so memory stays bounded whatever the archive's size.
    chunk_size: int = MIB
    # METADATA, WHEEL, RECORD, entry_points.txt and PKG-INFO are read whole; nothing honest is near this.
    max_small_member: int = 16 * MIB

    def check_expansion(self, uncompressed: int, compressed: int) -> None:
        """Raises ArchiveProblem when `uncompressed` bytes out of `compressed` make a bomb."""
        if uncompressed > self.max_uncompressed and uncompressed > self.max_ratio * max(compressed, 1):
            raise ArchiveProblem(
                f"it expands to more than {uncompressed} bytes, over {self.max_ratio} times its "
                "compressed size (a decompression bomb)"
            )

    def check_member_count(self, count: int) -> None:
        """Raises ArchiveProblem when an archive holds more than `max_members` members."""
        if count > self.max_members:
            raise ArchiveProblem(f"it has more than {self.max_members} members")

    @property
    def warn_on_record_mismatch(self) -> bool:
        """True when RECORD mismatches are warnings rather than refusals."""
        return self.record_mismatch == "warn"


def _integer(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    return int(value) if value else default


def limits_from_environ(environ: dict[str, str] | None = None) -> ArchiveLimits:
    """ArchiveLimits from GATEHOUSE_ARCHIVE_MAX_UNCOMPRESSED (bytes), GATEHOUSE_ARCHIVE_MAX_RATIO,
    GATEHOUSE_ARCHIVE_MAX_MEMBERS and GATEHOUSE_RECORD_MISMATCH (`refuse` or `warn`).

    Raises ValueError for a value that is not a number or not a known policy.
    """
    env = os.environ if environ is None else environ
    defaults = ArchiveLimits()
    policy = env.get("GATEHOUSE_RECORD_MISMATCH", "").strip().lower() or defaults.record_mismatch
    if policy not in RECORD_POLICIES:
        raise ValueError(f"GATEHOUSE_RECORD_MISMATCH must be one of {RECORD_POLICIES}, not {policy!r}")
    return ArchiveLimits(
        max_uncompressed=_integer(env, "GATEHOUSE_ARCHIVE_MAX_UNCOMPRESSED", defaults.max_uncompressed),
        max_ratio=_integer(env, "GATEHOUSE_ARCHIVE_MAX_RATIO", defaults.max_ratio),
        max_members=_integer(env, "GATEHOUSE_ARCHIVE_MAX_MEMBERS", defaults.max_members),
        record_mismatch=policy,
    )
