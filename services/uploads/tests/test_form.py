"""Step 1: each form check, passing and failing, with PyPI's messages."""

import pytest

from services.uploads.domain.errors import InvalidForm, InvalidProjectName
from services.uploads.domain.form import parse_form
from services.uploads.tests.builders import form_fields

MD5 = "a" * 32
SHA256 = "b" * 64


def parse(fields: dict, file_fields=()):
    raw = [(key, [value] if isinstance(value, str) else value) for key, value in fields.items()]
    return parse_form(raw, file_fields)


def refusal(fields: dict, file_fields=()) -> str:
    with pytest.raises((InvalidForm, InvalidProjectName)) as caught:
        parse(fields, file_fields)
    return caught.value.message


def test_a_complete_form_is_accepted():
    form = parse(form_fields(content=b"x", md5_digest=MD5.upper()))
    assert (form.name, form.version, form.filetype, form.pyversion) == ("demo", "1.0", "bdist_wheel", "py3")
    assert form.digests["md5"] == MD5  # lower-cased
    assert form.requires_python == ">=3.8"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({":action": "submit"}, "Invalid value for :action. Error: Use 'file_upload'; no other action is supported."),
        ({":action": None}, "Invalid value for :action. Error: Use 'file_upload'; no other action is supported."),
        ({"protocol_version": "2"}, "Unknown protocol version."),
        ({"filetype": "bdist_egg"}, "Invalid value for filetype. Error: Use a known file type."),
        ({"filetype": None}, "Invalid value for filetype. Error: Use a known file type."),
        ({"name": None}, "Invalid value for name. Error: This field is required."),
        ({"version": None}, "Invalid value for version. Error: This field is required."),
        ({"version": "1.0+local"}, "Invalid value for version. Error: Can't use PEP 440 local versions."),
        ({"metadata_version": "3.0"}, "Invalid value for metadata_version. Error: Use a known metadata version."),
        ({"summary": "two\nlines"}, "Invalid value for summary. Error: Use a single line only."),
        ({"summary": "x" * 513}, "Invalid value for summary. Error: Use at most 512 characters."),
        ({"requires_python": "python>=3"}, "Invalid value for requires_python. Error: Use a valid PEP 440 version specifier."),
        ({"pyversion": None}, "Python version is required for binary distribution uploads."),
        ({"sha256_digest": None}, "Include at least one message digest."),
        ({"sha256_digest": "abc"}, "Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest."),
        ({"md5_digest": "z" * 32}, "Invalid value for md5_digest. Error: Use a valid, hex-encoded, MD5 message digest."),
        ({"blake2_256_digest": "a" * 63}, "Invalid value for blake2_256_digest. Error: Use a valid, hex-encoded, BLAKE2b-256 message digest."),
        ({"name": ["demo", "other"]}, "The field 'name' was sent more than once."),
    ],
)
def test_each_check_refuses_with_a_clear_sentence(overrides, message):
    assert refusal(form_fields(content=b"x", **overrides)) == message


def test_an_invalid_version_is_refused():
    assert refusal(form_fields(version="not a version")).startswith("Invalid value for version. Error: Start and end")


def test_a_malformed_name_is_refused():
    assert "Invalid value for name." in refusal(form_fields(name="-demo-"))


def test_null_bytes_are_refused_in_values_and_names():
    assert refusal(form_fields(summary="a\x00b")) == "Null bytes are not allowed in form fields."
    assert refusal({**form_fields(), "bad\x00name": "x"}) == "Null bytes are not allowed in form fields."


def test_unknown_is_treated_as_absent():
    form = parse(form_fields(summary="UNKNOWN", requires_python="UNKNOWN", md5_digest="UNKNOWN"))
    assert form.summary == "" and form.requires_python == "" and "md5" not in form.digests
    assert refusal(form_fields(version="UNKNOWN")) == "Invalid value for version. Error: This field is required."


def test_fields_sent_as_files_are_refused_except_a_signature():
    assert refusal(form_fields(), file_fields=["summary"]) == (
        "The field 'summary' must be sent as text, not as a file."
    )
    assert parse(form_fields(), file_fields=["gpg_signature"]).name == "demo"


def test_an_sdist_defaults_to_source_and_refuses_another_pyversion():
    assert parse(form_fields(filetype="sdist", pyversion=None)).pyversion == "source"
    assert refusal(form_fields(filetype="sdist", pyversion="py3")) == "Use 'source' as Python version for an sdist."


@pytest.mark.parametrize("version", ["1.0", "2!1.0.post1", "1.0rc1", "0.1.dev3"])
def test_public_versions_pass(version):
    assert parse(form_fields(version=version)).version == version
