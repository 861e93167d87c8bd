"""Property: whatever the bytes, the archive validator answers with InvalidDistribution or a
verdict, never another exception, and quickly (hypothesis' deadline bounds each example)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.uploads.adapters.archives import inspect
from services.uploads.domain.errors import InvalidDistribution
from services.uploads.domain.filenames import Distribution
from services.uploads.tests.builders import sdist_bytes, wheel_bytes
from services.uploads.tests.hostile_builders import zip64_wheel

WHEEL = Distribution("demo-1.0-py3-none-any.whl", "bdist_wheel", "demo-1.0.dist-info/METADATA")
SDIST = Distribution("demo-1.0.tar.gz", "sdist", "demo-1.0/PKG-INFO")
SEEDS = {"wheel": wheel_bytes(), "zip64 wheel": zip64_wheel(), "sdist": sdist_bytes()}
# No example database: nothing is written into the work tree.
FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow], database=None)


def survives(content: bytes, distribution: Distribution) -> None:
    """Runs the validator; only InvalidDistribution may escape it."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / distribution.filename
        path.write_bytes(content)
        try:
            inspect(path, distribution, "demo", "1.0")
        except InvalidDistribution as refusal:
            assert refusal.message.startswith(f"Invalid distribution file '{distribution.filename}': ")


@st.composite
def mutations(draw):
    """A valid seed archive with a few bytes flipped, inserted, deleted or the tail cut."""
    seed_name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[seed_name])
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[position:position + draw(st.integers(1, 16))]
        else:
            del data[position:]
    return seed_name, bytes(data)


@FUZZ
@given(st.binary(max_size=2048), st.booleans())
def test_arbitrary_bytes_never_crash_the_validator(content, as_wheel):
    survives(content, WHEEL if as_wheel else SDIST)


@FUZZ
@given(st.sampled_from([b"PK\x03\x04", b"\x1f\x8b\x08\x00", b"PK\x05\x06"]), st.binary(max_size=1024))
def test_bytes_behind_a_magic_number_never_crash_the_validator(magic, rest):
    survives(magic + rest, SDIST if magic.startswith(b"\x1f") else WHEEL)


@FUZZ
@given(mutations())
def test_mutated_valid_archives_never_crash_the_validator(mutation):
    seed_name, content = mutation
    survives(content, SDIST if seed_name == "sdist" else WHEEL)
