"""An operator's per-project size limits: given a project, when an operator (or anyone else)
sets its limits, then ProjectLimitsChanged and the uploads that follow obey them."""

import os

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore import registry
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.application.project_limits import set_project_limits
from services.uploads.domain import errors
from services.uploads.tests.builders import wheel_bytes
from services.uploads.tests.test_upload import recorded, send

OPERATOR = common_pb2.Principal(operator=True)
CONTEXT = common_pb2.RequestContext(ip_address="local", user_agent="gatehouse-cli/1")


def limits_request(principal=OPERATOR, **sizes):
    return uploads_pb2.SetProjectLimitsRequest(principal=principal, project="DEMO", context=CONTEXT, **sizes)


async def test_an_operator_raises_the_file_size_limit_of_one_project(deps, units):
    await send(deps, wheel_bytes())
    big = wheel_bytes("demo", "2.0", extra=os.urandom(96 * 1024))  # over the 64 KiB default of the tests
    with pytest.raises(errors.FileTooLarge):
        await send(deps, big, filename="demo-2.0-py3-none-any.whl", version="2.0")
    response = await set_project_limits(deps, limits_request(max_file_size=256 * 1024))
    assert (response.project.name, response.max_file_size, response.changed) == ("demo", 256 * 1024, True)
    assert response.max_project_size == deps.rules.max_project_size
    changed = (await recorded(units))[-1]
    assert (changed.type, changed.actor_ip, changed.subject_project) == ("ProjectLimitsChanged", "local", "demo")
    event = registry.decode("ProjectLimitsChanged", changed.payload)
    assert (event.max_file_size, event.previous_max_file_size, event.max_project_size) == (256 * 1024, 0, 0)
    assert (await send(deps, big, filename="demo-2.0-py3-none-any.whl", version="2.0")).outcome == "created"


async def test_setting_the_same_limits_again_records_nothing(deps, units):
    await send(deps, wheel_bytes())
    await set_project_limits(deps, limits_request(max_project_size=10 ** 6))
    before = len(await recorded(units))
    assert not (await set_project_limits(deps, limits_request(max_project_size=10 ** 6))).changed
    assert len(await recorded(units)) == before


async def test_zero_resets_a_limit_to_the_index_default(deps):
    await send(deps, wheel_bytes())
    await set_project_limits(deps, limits_request(max_file_size=10 ** 6))
    assert (await set_project_limits(deps, limits_request(max_file_size=0))).max_file_size == deps.max_file_size


async def test_only_an_operator_may_change_limits(deps):
    await send(deps, wheel_bytes())
    owner = common_pb2.Principal(user_id="u-alice", username="alice")
    with pytest.raises(errors.NotAnOperator, match="Only an index operator can change a project's size limits."):
        await set_project_limits(deps, limits_request(owner, max_file_size=10 ** 9))


async def test_a_negative_limit_is_refused(deps):
    await send(deps, wheel_bytes())
    with pytest.raises(errors.InvalidLimit):
        await set_project_limits(deps, limits_request(max_project_size=-1))


async def test_limits_of_a_project_that_does_not_exist_are_not_found(deps):
    with pytest.raises(errors.ProjectNotFound):
        await set_project_limits(deps, limits_request(max_project_size=1))
