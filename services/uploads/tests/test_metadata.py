"""Core metadata checks, one rule at a time: given form fields (or raw METADATA), when checked,
then accepted or refused with one sentence."""

import pytest
from packaging.metadata import parse_email

from services.uploads.domain.errors import InvalidMetadata
from services.uploads.domain.metadata import check_core_metadata, check_form_metadata, raw_metadata_from_form

BASE = {"name": ["demo"], "version": ["1.0"], "metadata_version": ["2.4"], "summary": ["A demo"]}


def check(**fields):
    values = {key: value if isinstance(value, list) else [value] for key, value in fields.items()}
    return check_form_metadata({**BASE, **values})


def refused(**fields) -> str:
    with pytest.raises(InvalidMetadata) as raised:
        check(**fields)
    return raised.value.message


def test_a_complete_twine_form_is_accepted_with_every_field_mapped():
    metadata = check(
        author_email="Alice <alice@example.org>, bob@example.org", maintainer_email="carol@example.org",
        classifiers=["Programming Language :: Python :: 3", "Intended Audience :: Developers"],
        requires_dist=["requests>=2", "rich; extra == 'cli'"], provides_extra=["cli"],
        project_urls=["Source, https://example.org/src", "Docs, https://example.org/docs"],
        home_page="https://example.org", download_url="http://example.org/dl",
        keywords="web, http", license_expression="MIT", license_file=["LICENSE"],
        description="# Demo\n\nMarkdown *body*", description_content_type="text/markdown",
        dynamic=["Classifier"], platform=["any"], requires_external=["libpq"],
        pyversion="py3", filetype="bdist_wheel", sha256_digest="00" * 32,
    )
    assert metadata.project_urls == {"Source": "https://example.org/src", "Docs": "https://example.org/docs"}
    assert metadata.keywords == ["web", "http"] and metadata.license_files == ["LICENSE"]
    assert [str(requirement) for requirement in metadata.requires_dist] == ['requests>=2', 'rich; extra == "cli"']


def test_fields_that_are_not_metadata_are_left_out_of_the_raw_metadata():
    raw = raw_metadata_from_form({**BASE, ":action": ["file_upload"], "sha256_digest": ["ab"]})
    assert set(raw) == {"name", "version", "metadata_version", "summary"}


@pytest.mark.parametrize("version", ["0.9", "2.6", "3.0"])
def test_an_unsupported_metadata_version_is_refused(version):
    assert "is not a supported metadata version (use 1.0 to 2.5)" in refused(metadata_version=version)


def test_metadata_version_2_0_is_read_as_2_1():
    assert check(metadata_version="2.0", description_content_type="text/plain").description_content_type == "text/plain"


def test_a_field_newer_than_the_declared_metadata_version_is_refused():
    assert "license-expression" in refused(metadata_version="2.1", license_expression="MIT")


def test_a_local_version_is_refused():
    assert refused(version="1.0+local") == (
        "Invalid value for Version. Error: The use of local versions in '1.0+local' is not allowed.")


def test_a_summary_over_512_characters_is_refused():
    assert "must be 512 characters or less" in refused(summary="x" * 513)


@pytest.mark.parametrize("field", ["author_email", "maintainer_email"])
def test_an_invalid_email_address_is_refused(field):
    assert refused(**{field: "Alice <alice@localhost>"}).startswith(
        f"Invalid value for {field.split('_')[0].title()}-email. Error: 'alice@localhost' is not a valid email address:")


def test_an_unknown_classifier_is_refused():
    assert refused(classifiers=["Framework :: Nonsense"]) == (
        "Invalid value for Classifier. Error: 'Framework :: Nonsense' is not a valid classifier.")


def test_a_deprecated_classifier_is_refused_naming_its_replacement():
    message = refused(classifiers=["Natural Language :: Ukranian"])
    assert message == ("Invalid value for Classifier. Error: The classifier 'Natural Language :: Ukranian' "
                       "has been deprecated, use one of ['Natural Language :: Ukrainian'] instead.")


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "https://", "not a url"])
def test_a_home_page_that_is_not_an_http_url_is_refused(url):
    assert refused(home_page=url) == f"Invalid value for Home-page. Error: '{url}' is not a valid url."


def test_a_project_url_label_over_32_characters_is_refused():
    label = "L" * 33
    assert refused(project_urls=[f"{label}, https://example.org"]) == (
        f"Invalid value for Project-URL. Error: '{label}' must be 32 characters or less.")


def test_a_project_url_that_is_not_a_url_is_refused():
    assert "is not a valid url" in refused(project_urls=["Source, file:///etc/passwd"])


def test_a_project_url_label_used_twice_is_refused():
    assert "used more than once" in refused(project_urls=["A, https://a.example", "A, https://b.example"])


def test_a_direct_url_dependency_is_refused():
    assert refused(requires_dist=["evil @ https://example.org/evil.whl"]) == (
        "Invalid value for Requires-Dist. Error: Can't have direct dependency: "
        "'evil @ https://example.org/evil.whl'.")


def test_an_invalid_requirement_is_refused():
    assert "requires-dist" in refused(requires_dist=["not a requirement !!"]).lower()


@pytest.mark.parametrize("field", ["Name", "Version", "Metadata-Version"])
def test_dynamic_cannot_name_the_identity_fields(field):
    assert "is not allowed as a dynamic field" in refused(dynamic=[field])


def test_dynamic_cannot_name_an_unknown_field():
    assert "is not a valid dynamic field" in refused(dynamic=["Colour"])


def test_license_and_license_expression_together_are_refused():
    assert "cannot both be set" in refused(license="MIT License", license_expression="MIT")


def test_a_description_that_does_not_render_as_rst_is_refused():
    message = refused(description="Title\n=====\n\n`unclosed")
    assert message.startswith("Invalid value for Description. Error: The description failed to render for 'text/x-rst'.")


def test_a_valid_rst_description_is_accepted():
    assert check(description="Title\n=====\n\nSome *text*.").description.startswith("Title")


@pytest.mark.parametrize("content_type", ["text/markdown", "text/plain", "text/markdown; variant=GFM"])
def test_markdown_and_plain_descriptions_always_render(content_type):
    assert check(description="`unclosed", description_content_type=content_type)


def test_a_one_value_field_sent_twice_is_refused():
    assert refused(author=["A", "B"]) == "The field 'author' was sent more than once."


def test_a_wheel_metadata_file_is_checked_by_the_same_rules():
    raw, _unparsed = parse_email(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nClassifier: Natural Language :: Ukranian\n")
    with pytest.raises(InvalidMetadata, match="has been deprecated"):
        check_core_metadata(raw)
