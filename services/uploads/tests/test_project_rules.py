"""Project and file rules as pure checks: folded names, the operator's list, creation rate,
size quota, one sdist per release and the release window."""

import pytest

from services.uploads.domain import errors
from services.uploads.domain.limits import (
    DAY_US, HOUR_US, ONE_GIB, RecentCreations, SizeQuota, UploadRules, check_creation_rate,
    check_one_sdist, check_release_open,
)
from services.uploads.domain.names import check_not_prohibited, check_not_too_similar, fold_confusable

NOW = 1_800_000_000 * 1_000_000


@pytest.mark.parametrize("name", ["foo-bar", "Foo.Bar", "f0obar", "fooba_r", "FOO__BAR", "f.o.o.b.a.r"])
def test_separators_and_look_alike_letters_fold_together(name):
    assert fold_confusable(name) == "f00bar"


@pytest.mark.parametrize("name", ["pil1ow", "pi1low", "PILLOW", "p-i-l-l-o-w", "piii0w"])
def test_l_and_i_fold_to_one(name):
    assert fold_confusable(name) == "p1110w"


def test_a_name_folding_like_another_project_is_too_similar():
    with pytest.raises(errors.ProjectNameTooSimilar) as raised:
        check_not_too_similar("dj4ng0rest", "dj4ngo-rest", "https://index.example")
    assert raised.value.message == ("The name 'dj4ng0rest' is too similar to an existing project. "
                                    "See https://index.example/help/#project-name for more information.")


def test_no_similar_project_passes():
    check_not_too_similar("fresh", None, "https://index.example")


def test_the_same_project_spelt_otherwise_is_not_too_similar_to_itself():
    check_not_too_similar("Demo_Pkg", "demo-pkg", "https://index.example")


def test_a_name_on_the_operators_list_is_prohibited_in_any_look_alike_spelling():
    prohibited = frozenset({fold_confusable("internal-tools")})
    with pytest.raises(errors.ProhibitedProjectName, match="The name 'Internal_T00ls' isn't allowed."):
        check_not_prohibited("Internal_T00ls", prohibited)
    check_not_prohibited("external-tools", prohibited)


def test_project_creation_within_the_hourly_allowance_passes():
    check_creation_rate(RecentCreations(19, NOW - 10), RecentCreations(39, NOW - 10), UploadRules(), NOW)


def test_the_21st_project_of_a_user_within_an_hour_is_rate_limited_until_the_oldest_ages_out():
    oldest = NOW - HOUR_US + 90 * 1_000_000  # frees up in 90 seconds
    with pytest.raises(errors.ProjectCreationRateLimited) as raised:
        check_creation_rate(RecentCreations(20, oldest), RecentCreations(0, NOW), UploadRules(), NOW)
    assert raised.value.message == ("Too many new projects created: at most 20 an hour per user. "
                                    "Try again in 2 minutes.")
    assert raised.value.trailers == (("retry-after", "90"),)


def test_the_41st_project_from_one_address_is_rate_limited():
    with pytest.raises(errors.ProjectCreationRateLimited, match="at most 40 an hour per address"):
        check_creation_rate(RecentCreations(0, NOW), RecentCreations(40, NOW - 1), UploadRules(), NOW)


def quota(used=0, file_limit=100, project_limit=1000):
    return SizeQuota("demo", file_limit, project_limit, used, "https://index.example")


def test_a_file_within_both_limits_passes():
    quota(used=900).check(100)


def test_a_file_over_the_file_limit_is_too_large():
    with pytest.raises(errors.FileTooLarge, match="File too large. Limit for project 'demo' is 100 bytes."):
        quota().check(101)


def test_a_file_that_would_pass_the_project_total_is_refused():
    with pytest.raises(errors.ProjectTooLarge) as raised:
        SizeQuota("demo", 100, 10 * ONE_GIB, 10 * ONE_GIB - 50, "https://index.example").check(51)
    assert raised.value.message == ("Project size too large. Limit for project 'demo' total size is 10 GB. "
                                    "See https://index.example/help/#project-size-limit for more information.")


def test_a_second_sdist_of_a_release_is_refused_but_wheels_are_not():
    with pytest.raises(errors.SdistAlreadyExists, match="Only one sdist may be uploaded per release."):
        check_one_sdist("sdist", release_has_sdist=True)
    check_one_sdist("bdist_wheel", release_has_sdist=True)
    check_one_sdist("sdist", release_has_sdist=False)


def test_a_release_accepts_files_for_14_days():
    check_release_open("1.0", NOW - 14 * DAY_US, UploadRules(), NOW)
    check_release_open("1.0", None, UploadRules(), NOW)


def test_a_release_older_than_14_days_accepts_no_new_file():
    with pytest.raises(errors.ReleaseClosed) as raised:
        check_release_open("1.0", NOW - 14 * DAY_US - 1, UploadRules(), NOW)
    assert raised.value.message == ("Release '1.0' was created more than 14 days ago; new files can't be "
                                    "added to it. Upload a new version instead.")
