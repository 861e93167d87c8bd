"""Step 2: filename rules for sdists (PEP 625) and wheels."""

import pytest

from services.uploads.domain.errors import InvalidFilename
from services.uploads.domain.filenames import check_filename
from services.uploads.domain.form import parse_form
from services.uploads.tests.builders import form_fields


def form(**overrides):
    return parse_form([(key, [value]) for key, value in form_fields(**overrides).items()], [])


def refusal(filename: str, **overrides) -> str:
    with pytest.raises(InvalidFilename) as caught:
        check_filename(filename, form(**overrides))
    return caught.value.message


def test_a_wheel_matching_the_form_passes():
    distribution = check_filename("Demo_Pkg-1.0-py3-none-any.whl", form(name="demo.pkg"))
    assert distribution.packagetype == "bdist_wheel"
    assert distribution.metadata_member == "Demo_Pkg-1.0.dist-info/METADATA"


def test_an_sdist_named_per_pep_625_passes():
    distribution = check_filename("demo_pkg-1.0.tar.gz", form(name="Demo.Pkg", filetype="sdist"))
    assert distribution.metadata_member == "demo_pkg-1.0/PKG-INFO"


@pytest.mark.parametrize("version, filename", [("1.0.0", "demo-1.0.0.tar.gz"), ("1.0-RC1", "demo-1.0rc1.tar.gz")])
def test_the_sdist_version_is_canonical_without_stripping_zeros(version, filename):
    check_filename(filename, form(filetype="sdist", version=version))


@pytest.mark.parametrize("filename", ["Demo-1.0.tar.gz", "demo-pkg-1.0.tar.gz", "demo-1.tar.gz", "demo-1.0.1.tar.gz"])
def test_an_sdist_with_another_name_is_refused(filename):
    name = "demo-pkg" if "pkg" in filename else "demo"
    message = refusal(filename, name=name, filetype="sdist")
    assert message.startswith(f"Invalid source distribution filename '{filename}': it must be")


@pytest.mark.parametrize("filename", ["demo-1.0.zip", "demo-1.0.tgz", "demo-1.0.tar", "demo-1.0.tar.bz2",
                                      "demo-1.0-py3.8.egg", "demo-1.0.win32.exe"])
def test_other_extensions_are_refused(filename):
    message = refusal(filename, filetype="sdist")
    assert message.startswith("Invalid file extension: use .tar.gz for a source distribution or .whl")


def test_the_extension_must_match_the_filetype():
    assert refusal("demo-1.0.tar.gz") == (
        "Invalid file extension: a file of type 'bdist_wheel' must end in .whl."
    )


@pytest.mark.parametrize("filename", ["../demo-1.0.tar.gz", "a\\demo-1.0.tar.gz"])
def test_path_separators_are_refused(filename):
    assert refusal(filename, filetype="sdist") == "Cannot upload a file with '/' or '\\' in the name."


def test_control_characters_are_refused():
    assert "control characters" in refusal("demo-1.0\n.tar.gz", filetype="sdist")


def test_a_malformed_wheel_name_is_refused():
    assert refusal("demo-1.0-py3-none.whl").startswith("Invalid wheel filename 'demo-1.0-py3-none.whl'.")


def test_a_wheel_of_another_project_or_version_is_refused():
    assert "belongs to project 'other'" in refusal("other-1.0-py3-none-any.whl")
    assert refusal("demo-2.0-py3-none-any.whl") == "Version in filename should be '1.0' not '2.0'."


def test_a_missing_filename_is_refused():
    assert refusal("") == "Upload payload does not have a file."
