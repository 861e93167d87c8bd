"""The metadata, project and file rules inside the Upload pipeline (real SQLite, fake tokens)."""

import os
from dataclasses import replace

import pytest
import sqlalchemy as sa

from gatehouse.eventstore import registry
from services.uploads.adapters.tables import files, releases
from services.uploads.application.upload_rules import now_us
from services.uploads.domain import errors
from services.uploads.domain.limits import DAY_US, UploadRules
from services.uploads.domain.names import fold_confusable
from services.uploads.tests.builders import sdist_bytes, wheel_bytes
from services.uploads.tests.conftest import ORIGIN
from services.uploads.tests.test_upload import recorded, send


async def test_a_deprecated_classifier_is_refused_before_the_token_is_asked(deps, tokens, units):
    with pytest.raises(errors.InvalidMetadata, match="has been deprecated, use one of"):
        await send(deps, wheel_bytes(), classifiers=["Natural Language :: Ukranian"])
    assert tokens.operations == [] and await recorded(units) == []


async def test_valid_metadata_fields_pass_through_the_pipeline(deps):
    response = await send(deps, wheel_bytes(), classifiers=["Programming Language :: Python :: 3"],
                          author_email="alice@example.org", project_urls=["Source, https://example.org/s"],
                          description="Demo\n====\n\nText.")
    assert response.outcome == "created"


async def rejection_reasons(units) -> list[str]:
    return [registry.decode("UploadRejected", row.payload).reason
            for row in await recorded(units) if row.type == "UploadRejected"]


async def test_a_wheel_for_an_unsupported_platform_is_refused_before_the_token_is_asked(deps, tokens):
    with pytest.raises(errors.InvalidPlatformTag, match="unsupported platform tag 'linux_x86_64'"):
        await send(deps, wheel_bytes(), filename="demo-1.0-py3-none-linux_x86_64.whl")
    assert tokens.operations == []


async def test_a_new_project_named_like_an_existing_one_is_refused_and_recorded(deps, units):
    await send(deps, wheel_bytes())
    with pytest.raises(errors.ProjectNameTooSimilar, match="The name 'dem0' is too similar"):
        await send(deps, wheel_bytes("dem0"), filename="dem0-1.0-py3-none-any.whl", name="dem0")
    assert await rejection_reasons(units) == [
        f"The name 'dem0' is too similar to an existing project. See {ORIGIN}/help/#project-name for more information."]
    rejected = (await recorded(units))[-1]
    assert rejected.stream == "uploader-u-alice"


async def test_a_name_on_the_operators_list_is_refused(deps):
    deps = replace(deps, rules=UploadRules(prohibited_project_names=frozenset({fold_confusable("demo")})))
    with pytest.raises(errors.ProhibitedProjectName, match="The name 'demo' isn't allowed."):
        await send(deps, wheel_bytes())


async def test_project_creation_beyond_the_hourly_allowance_is_rate_limited(deps, units):
    deps = replace(deps, rules=UploadRules(projects_per_user_per_hour=2))
    for name in ("first", "second"):
        await send(deps, wheel_bytes(name), filename=f"{name}-1.0-py3-none-any.whl", name=name)
    with pytest.raises(errors.ProjectCreationRateLimited) as raised:
        await send(deps, wheel_bytes("third"), filename="third-1.0-py3-none-any.whl", name="third")
    assert raised.value.message.startswith("Too many new projects created: at most 2 an hour per user.")
    assert int(dict(raised.value.trailers)["retry-after"]) > 3500
    assert len(await rejection_reasons(units)) == 1
    # Uploads to existing projects are not creations: still allowed.
    await send(deps, wheel_bytes("first", "2.0"), filename="first-2.0-py3-none-any.whl", name="first", version="2.0")


async def test_project_creation_is_rate_limited_per_address_too(deps, tokens):
    deps = replace(deps, rules=UploadRules(projects_per_ip_per_hour=1))
    await send(deps, wheel_bytes())
    with pytest.raises(errors.ProjectCreationRateLimited, match="at most 1 an hour per address"):
        await send(deps, wheel_bytes("other"), filename="other-1.0-py3-none-any.whl", name="other",
                   token="bob-token")


async def test_a_second_sdist_of_a_release_is_refused_but_its_identical_reupload_answers_exists(deps):
    sdist = sdist_bytes()  # built once: a gzip header holds the time
    await send(deps, sdist, filename="demo-1.0.tar.gz")
    with pytest.raises(errors.SdistAlreadyExists, match="Only one sdist may be uploaded per release."):
        await send(deps, sdist_bytes("demo-1.0.0"), filename="demo-1.0.0.tar.gz", version="1.0.0")
    assert (await send(deps, sdist, filename="demo-1.0.tar.gz")).outcome == "exists"


async def test_a_release_older_than_14_days_accepts_no_new_file(deps, units):
    wheel = wheel_bytes()
    await send(deps, wheel)
    async with units() as unit:
        await unit.connection.execute(sa.update(releases).values(created_at_us=now_us() - 15 * DAY_US))
        await unit.commit()
    with pytest.raises(errors.ReleaseClosed, match="Release '1.0' was created more than 14 days ago"):
        await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz")
    assert (await send(deps, wheel)).outcome == "exists"  # the same file again is still no change


async def test_a_file_that_would_pass_the_project_size_limit_is_refused_while_streaming(deps, units):
    first = wheel_bytes()
    deps = replace(deps, rules=UploadRules(max_project_size=len(first) + 100))
    await send(deps, first)
    streams = []
    second = wheel_bytes(extra=os.urandom(8192))  # incompressible: several 1 KiB chunks
    with pytest.raises(errors.ProjectTooLarge, match="Project size too large. Limit for project 'demo'"):
        await send(deps, second, filename="demo-1.0-1-py3-none-any.whl", stream_out=streams)
    assert streams[0].consumed == 2  # the header and the first chunk, which passed the limit
    assert "Project size too large" in (await rejection_reasons(units))[-1]


async def test_a_filename_of_a_deleted_file_can_never_be_used_again(deps, units):
    await send(deps, wheel_bytes())
    async with units() as unit:  # what a file deletion would do: the file row goes, the name stays
        await unit.connection.execute(sa.delete(files))
        await unit.commit()
    with pytest.raises(errors.FilenameReused, match="This filename has already been used, use a different version."):
        await send(deps, wheel_bytes(extra=b"# rebuilt"))


async def test_concurrent_uploads_that_each_fit_the_project_size_cannot_both_pass_it(deps, units):
    first, sdist, other_wheel = wheel_bytes(), sdist_bytes(), wheel_bytes(extra=b"# other")
    deps = replace(deps, rules=UploadRules(max_project_size=len(first) + max(len(sdist), len(other_wheel)) + 10))
    await send(deps, first)

    async def meanwhile():  # the sdist is accepted while the other wheel's bytes stream in
        await send(deps, sdist, filename="demo-1.0.tar.gz")

    with pytest.raises(errors.ProjectTooLarge):
        await send(deps, other_wheel, filename="demo-1.0-1-py3-none-any.whl", while_streaming=meanwhile)
    assert [row.type for row in await recorded(units)][-2:] == ["FileAdded", "UploadRejected"]
