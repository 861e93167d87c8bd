"""Step 4 (archive): the hostile corpus is refused with the right sentence, valid archives pass,
and the settings change what they say they change."""

import pytest

from services.uploads.adapters.archives import inspect
from services.uploads.adapters.archives.limits import ArchiveLimits, limits_from_environ
from services.uploads.domain.errors import InvalidDistribution
from services.uploads.domain.filenames import Distribution
from services.uploads.tests.builders import metadata_text, sdist_bytes, wheel_bytes
from services.uploads.tests.hostile_archives import CASES, write_corpus
from services.uploads.tests.hostile_builders import SDIST, WHEEL, wheel_with_record

WHEEL_FILE = Distribution(WHEEL, "bdist_wheel", "demo-1.0.dist-info/METADATA")
SDIST_FILE = Distribution(SDIST, "sdist", "demo-1.0/PKG-INFO")


def distribution_of(filename: str) -> Distribution:
    return WHEEL_FILE if filename.endswith(".whl") else SDIST_FILE


def written(tmp_path, content: bytes, name: str = "upload"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_the_corpus_has_forty_hostile_and_six_valid_archives(tmp_path):
    written_cases = write_corpus(tmp_path)
    assert len([case for case, _ in written_cases if case.refusal]) >= 40
    assert len([case for case, _ in written_cases if case.refusal is None]) >= 6
    assert len({case.name for case, _ in written_cases}) == len(written_cases)
    assert all(path.stat().st_size >= 0 for _, path in written_cases)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_archive_gets_its_verdict(tmp_path, case):
    path = written(tmp_path, case.build(), case.filename)
    if case.refusal is None:
        inspect(path, distribution_of(case.filename), "demo", "1.0", case.limits)
        return
    with pytest.raises(InvalidDistribution) as refused:
        inspect(path, distribution_of(case.filename), "demo", "1.0", case.limits)
    message = refused.value.message
    assert case.refusal in message
    assert message.startswith(f"Invalid distribution file '{case.filename}': ") and message.count(". ") == 0


def test_a_wheel_yields_its_metadata(tmp_path):
    inspection = inspect(written(tmp_path, wheel_bytes()), WHEEL_FILE, "demo", "1.0")
    assert inspection.metadata == metadata_text("demo", "1.0") and inspection.warnings == ()


def test_an_sdist_yields_no_metadata(tmp_path):
    assert inspect(written(tmp_path, sdist_bytes()), SDIST_FILE, "demo", "1.0").metadata is None


def test_metadata_must_agree_with_the_form_as_well(tmp_path):
    with pytest.raises(InvalidDistribution, match="names the project 'demo', not 'other'"):
        inspect(written(tmp_path, wheel_bytes()), WHEEL_FILE, "other", "1.0")
    assert inspect(written(tmp_path, wheel_bytes()), WHEEL_FILE, "Demo", "1.0.0").metadata


def test_record_mismatches_become_warnings_when_the_operator_says_so(tmp_path):
    record = b"demo/__init__.py,sha256=" + b"A" * 43 + b",10\n"
    path = written(tmp_path, wheel_with_record(record))
    with pytest.raises(InvalidDistribution, match="disagrees with its RECORD"):
        inspect(path, WHEEL_FILE, "demo", "1.0")
    warned = inspect(path, WHEEL_FILE, "demo", "1.0", ArchiveLimits(record_mismatch="warn"))
    assert warned.metadata == metadata_text("demo", "1.0")
    assert any("digest of 'demo/__init__.py' disagrees" in warning for warning in warned.warnings)
    assert all(warning.startswith(f"{WHEEL}: ") for warning in warned.warnings) and len(warned.warnings) == 3


def test_a_malformed_record_is_refused_even_with_warnings_on(tmp_path):
    path = written(tmp_path, wheel_with_record(b"demo/__init__.py,md5=AAAAAAAAAAAAAAAAAAAAAA,10\n"))
    with pytest.raises(InvalidDistribution, match="sha256 or stronger"):
        inspect(path, WHEEL_FILE, "demo", "1.0", ArchiveLimits(record_mismatch="warn"))


def test_limits_come_from_the_environment():
    assert limits_from_environ({}) == ArchiveLimits()
    limits = limits_from_environ({"GATEHOUSE_ARCHIVE_MAX_UNCOMPRESSED": "1024", "GATEHOUSE_ARCHIVE_MAX_RATIO": "3",
                                  "GATEHOUSE_ARCHIVE_MAX_MEMBERS": "7", "GATEHOUSE_RECORD_MISMATCH": "WARN"})
    assert (limits.max_uncompressed, limits.max_ratio, limits.max_members) == (1024, 3, 7)
    assert limits.warn_on_record_mismatch
    with pytest.raises(ValueError):
        limits_from_environ({"GATEHOUSE_RECORD_MISMATCH": "ignore"})


def test_a_raised_bomb_limit_lets_a_big_compressible_wheel_through(tmp_path):
    zeros = wheel_bytes(extra=bytes(2_000_000))
    tight = ArchiveLimits(max_uncompressed=1_000_000)
    with pytest.raises(InvalidDistribution, match="decompression bomb"):
        inspect(written(tmp_path, zeros), WHEEL_FILE, "demo", "1.0", tight)
    assert inspect(written(tmp_path, zeros), WHEEL_FILE, "demo", "1.0").metadata
