"""WheelRecordMismatched: recorded with the file when the operator lets RECORD mismatches
through (GATEHOUSE_RECORD_MISMATCH=warn), naming who identity mails; never with the default
policy, which refuses the upload."""

from dataclasses import replace

import pytest

from gatehouse.eventstore import registry
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.domain import errors, model
from services.uploads.domain.content import Digests
from services.uploads.domain.record_mismatches import MAX_LENGTH, MAX_LISTED, mismatch_events
from services.uploads.tests.builders import wheel_bytes
from services.uploads.tests.conftest import ALICE, BOB
from services.uploads.tests.hostile_builders import record_of, wheel_with_record
from services.uploads.tests.test_roles import BOB as BOB_PRINCIPAL
from services.uploads.tests.test_roles import joined, project  # noqa: F401 (fixture)
from services.uploads.tests.test_upload import recorded, send
from services.uploads.tests.test_upload_archives import MISMATCHED

WARN = ArchiveLimits(record_mismatch="warn")


async def decoded(units, event_type):
    rows = await recorded(units)
    return [(row, registry.decode(row.type, row.payload)) for row in rows if row.type == event_type]


async def test_with_the_default_policy_the_upload_is_refused_and_no_warning_recorded(deps, units):
    with pytest.raises(errors.InvalidDistribution, match="disagrees with its RECORD"):
        await send(deps, MISMATCHED)
    types = [row.type for row in await recorded(units)]
    assert types == ["UploadRejected"]


async def test_a_new_project_warns_its_uploader_as_its_one_owner(deps, units):
    response = await send(replace(deps, archive_limits=WARN), MISMATCHED)
    assert response.outcome == "created"
    rows = await recorded(units)
    assert [row.type for row in rows] == ["ProjectCreated", "RoleAdded", "ReleaseCreated", "FileAdded",
                                          "WheelRecordMismatched"]
    assert len({row.stream for row in rows}) == 1 and [row.version for row in rows] == [1, 2, 3, 4, 5]
    warning = registry.decode(rows[-1].type, rows[-1].payload)
    assert (warning.project_name, warning.version, warning.filename) == ("demo", "1.0", "demo-1.0-py3-none-any.whl")
    assert len(warning.mismatches) == 3 and warning.more_mismatches == 0
    assert any("digest of 'demo/__init__.py' disagrees with its RECORD" in m for m in warning.mismatches)
    assert not any(m.startswith("demo-1.0") for m in warning.mismatches)  # the filename is its own field
    assert (list(warning.owner_user_ids), list(warning.maintainer_user_ids)) == ([ALICE.user_id], [])
    assert (warning.uploaded_by_user_id, warning.uploaded_by_username, warning.staged) == ("u-alice", "alice", False)
    assert (rows[-1].subject_project, rows[-1].subject_user_id) == ("demo", "u-alice")


async def test_a_maintainers_upload_names_the_owners_the_maintainers_and_the_uploader(project, units):
    await joined(project, BOB_PRINCIPAL)
    lenient = replace(project, archive_limits=WARN)
    await send(lenient, MISMATCHED, filename="demo-1.0-1-py3-none-any.whl", token="bob-token")
    [(_, warning)] = await decoded(units, "WheelRecordMismatched")
    assert (list(warning.owner_user_ids), list(warning.maintainer_user_ids)) == ([ALICE.user_id], [BOB.user_id])
    assert (warning.uploaded_by_user_id, warning.filename) == (BOB.user_id, "demo-1.0-1-py3-none-any.whl")


async def test_a_wheel_whose_record_matches_records_no_warning_even_when_warning_is_on(deps, units):
    await send(replace(deps, archive_limits=WARN), wheel_bytes())
    assert await decoded(units, "WheelRecordMismatched") == []


async def test_mismatches_past_the_first_twenty_are_counted(deps, units):
    phantoms = "".join(f"demo/missing_{index}.py,sha256={'A' * 43},1\n" for index in range(25))
    await send(replace(deps, archive_limits=WARN), wheel_with_record(record_of(phantoms)))
    [(_, warning)] = await decoded(units, "WheelRecordMismatched")
    assert len(warning.mismatches) == MAX_LISTED and warning.more_mismatches == 5
    assert "which the wheel does not contain" in warning.mismatches[0]


def _command(mismatches: model.RecordMismatches) -> model.AddFile:
    return model.AddFile(project_id="p1", name="Demo", version="1.0", filename="demo-1.0-py3-none-any.whl",
                         packagetype="bdist_wheel", python_version="py3", size=1,
                         digests=Digests("a" * 32, "b" * 64, "c" * 64), requires_python="", summary="",
                         path="x", metadata_sha256="", record_mismatches=mismatches)


def test_the_event_is_bounded_in_count_and_length():
    state = model.ProjectState(project_id="p1", name="Demo", roles={"u-alice": "Owner", "u-bob": "Maintainer",
                                                                     "u-carol": "Owner"})
    mismatches = model.RecordMismatches(tuple(f"{index}: " + "x" * 400 for index in range(MAX_LISTED + 5)), 3)
    command = _command(mismatches)
    file_event = model.upload_events(state, command, ALICE, staged=True)[-1]
    [warning] = mismatch_events(state, command, ALICE, file_event)
    assert len(warning.mismatches) == MAX_LISTED and warning.more_mismatches == 5 + 3
    assert all(len(m) == MAX_LENGTH and m.endswith("...") for m in warning.mismatches)
    assert (list(warning.owner_user_ids), list(warning.maintainer_user_ids)) == (["u-alice", "u-carol"], ["u-bob"])
    assert warning.staged and warning.project_name == "Demo"


def test_no_mismatch_no_event():
    command = _command(model.RecordMismatches())
    assert mismatch_events(None, command, ALICE, model.upload_events(None, command, ALICE)[-1]) == []
