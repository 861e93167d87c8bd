"""Project-name rules: syntax, normalization and standard-library names."""

import pytest

from services.uploads.domain.errors import InvalidProjectName, ProhibitedProjectName
from services.uploads.domain.names import check_name_allowed, check_project_name, normalize


@pytest.mark.parametrize("name", ["a", "demo", "Demo.Pkg_2", "x-y"])
def test_valid_names_pass(name):
    check_project_name(name)


@pytest.mark.parametrize("name", ["", "-demo", "demo.", "de mo", "dé", "a/b"])
def test_invalid_names_are_refused(name):
    with pytest.raises(InvalidProjectName):
        check_project_name(name)


@pytest.mark.parametrize("name", ["os", "Asyncio", "email", "importlib"])
def test_standard_library_names_are_refused(name):
    with pytest.raises(ProhibitedProjectName, match=f"The name '{name}' isn't allowed."):
        check_name_allowed(name)


def test_other_names_are_allowed_and_normalized():
    check_name_allowed("requests")
    assert normalize("Demo__Pkg.x") == "demo-pkg-x"
