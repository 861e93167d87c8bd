"""The archive step inside the Upload pipeline: a hostile archive is refused (and the refusal
recorded), and with GATEHOUSE_RECORD_MISMATCH=warn a RECORD mismatch is let through and logged."""

from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.domain import errors
from services.uploads.tests.builders import wheel_bytes
from services.uploads.tests.hostile_builders import raw_wheel, wheel_with_record
from services.uploads.tests.raw_archives import RawMember
from services.uploads.tests.test_upload import recorded, send

MISMATCHED = wheel_with_record(b"demo/__init__.py,sha256=" + b"A" * 43 + b",10\n")


async def test_a_hostile_wheel_is_refused_and_the_refusal_recorded(deps, units):
    await send(deps, wheel_bytes())
    evil = raw_wheel([RawMember("demo/../../evil.py", b"x")])
    with pytest.raises(errors.InvalidDistribution, match="'..' path component"):
        await send(deps, evil, filename="demo-1.0-1-py3-none-any.whl")
    assert [row.type for row in await recorded(units)][-1] == "UploadRejected"


async def test_a_record_mismatch_is_refused_by_default(deps):
    with pytest.raises(errors.InvalidDistribution, match="disagrees with its RECORD"):
        await send(deps, MISMATCHED)


async def test_a_record_mismatch_is_a_logged_warning_when_the_operator_allows_it(deps):
    lenient = replace(deps, archive_limits=ArchiveLimits(record_mismatch="warn"))
    with capture_logs() as logs:
        response = await send(lenient, MISMATCHED)
    assert response.outcome == "created"
    warnings = [entry for entry in logs if entry["event"] == "upload.record_mismatch"]
    assert len(warnings) == 3 and "disagrees with its RECORD" in warnings[0]["warning"]
