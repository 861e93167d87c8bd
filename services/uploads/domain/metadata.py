"""Core metadata rules: the upload form's metadata fields (and a wheel's METADATA) as
`packaging.metadata` validates them, plus the rules PyPI layers on top.

`raw_metadata_from_form` turns the legacy form's fields into a RawMetadata; `check_core_metadata`
validates any RawMetadata (the form's, or one parsed from a wheel's METADATA) and raises
InvalidMetadata with one sentence naming the field and what is wrong.
"""

from __future__ import annotations

import email.utils
import io
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import email_validator
import readme_renderer.rst
from packaging.metadata import InvalidMetadata as PackagingInvalidMetadata
from packaging.metadata import Metadata, RawMetadata
from packaging.requirements import InvalidRequirement, Requirement
from trove_classifiers import all_classifiers, deprecated_classifiers

from services.uploads.domain.errors import InvalidMetadata

Fields = Mapping[str, list[str]]
SUPPORTED_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"})
SUMMARY_MAX = 512
PROJECT_URL_LABEL_MAX = 32
URL_SCHEMES = frozenset({"http", "https"})
DEFAULT_CONTENT_TYPE = "text/x-rst"
KNOWN_CLASSIFIERS = frozenset(all_classifiers)
# The legacy form spells three fields differently from RawMetadata (twine and warehouse agree).
RAW_KEY_OF_FORM_FIELD = {
    "platform": "platforms", "supported_platform": "supported_platforms",
    "license_file": "license_files",
}
STRING_FIELDS = frozenset({
    "metadata_version", "name", "version", "summary", "description", "description_content_type",
    "home_page", "download_url", "author", "author_email", "maintainer", "maintainer_email",
    "license", "license_expression", "requires_python",
})
LIST_FIELDS = frozenset({
    "platforms", "supported_platforms", "classifiers", "requires", "provides", "obsoletes",
    "requires_dist", "provides_dist", "obsoletes_dist", "requires_external", "provides_extra",
    "dynamic", "license_files", "import_names", "import_namespaces",
})
# Core metadata's own names for the fields, as refusals name them.
HEADER_OF_FIELD = {
    "author_email": "Author-email", "maintainer_email": "Maintainer-email", "home_page": "Home-page",
    "download_url": "Download-URL", "project_urls": "Project-URL", "classifiers": "Classifier",
    "requires_dist": "Requires-Dist", "provides_dist": "Provides-Dist",
    "obsoletes_dist": "Obsoletes-Dist", "summary": "Summary", "version": "Version",
    "metadata_version": "Metadata-Version", "license": "License",
    "license_expression": "License-Expression", "description": "Description",
}


def _refuse(field: str, advice: str) -> InvalidMetadata:
    return InvalidMetadata(f"Invalid value for {HEADER_OF_FIELD.get(field, field)}. Error: {advice}")


def _keywords(value: str) -> list[str]:
    return [keyword.strip() for keyword in value.split(",") if keyword.strip()]


def _project_urls(values: list[str]) -> dict[str, str]:
    """'label, url' strings as a mapping. Raises InvalidMetadata for a label used twice."""
    urls: dict[str, str] = {}
    for value in values:
        label, _, url = value.partition(",")
        label = label.strip()
        if label in urls:
            raise _refuse("project_urls", f"The label '{label}' is used more than once.")
        urls[label] = url.strip()
    return urls


def _raw_value(key: str, values: list[str]):
    if key in LIST_FIELDS:
        return list(values)
    if len(values) > 1:
        raise InvalidMetadata(f"The field '{key}' was sent more than once.")
    if key == "keywords":
        return _keywords(values[0])
    return values[0]


def raw_metadata_from_form(fields: Fields) -> RawMetadata:
    """The form's metadata fields as a RawMetadata (fields that are not metadata are left out).
    Raises InvalidMetadata for a one-value field sent twice or a Project-URL label used twice."""
    raw: dict = {}
    for name, values in fields.items():
        key = RAW_KEY_OF_FORM_FIELD.get(name, name)
        if key == "project_urls":
            raw[key] = _project_urls(values)
        elif key in STRING_FIELDS or key in LIST_FIELDS or key == "keywords":
            raw[key] = _raw_value(key, values)
    return raw  # type: ignore[return-value]


def check_metadata_version(raw: RawMetadata) -> None:
    """Raises InvalidMetadata unless Metadata-Version is one of 1.0 to 2.5."""
    if raw.get("metadata_version") not in SUPPORTED_METADATA_VERSIONS:
        raise _refuse("metadata_version", f"'{raw.get('metadata_version', '')}' is not a supported "
                                          "metadata version (use 1.0 to 2.5).")


def validated(raw: RawMetadata) -> Metadata:
    """The metadata as `packaging` validates it (every field's syntax, fields allowed by the
    metadata version, Dynamic's allowed values). Raises InvalidMetadata with its first problem."""
    # 2.0 was never a standard; the tools that wrote it meant what 2.1 later specified.
    if raw.get("metadata_version") == "2.0":
        raw = {**raw, "metadata_version": "2.1"}  # type: ignore[typeddict-item]
    try:
        return Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        first = _first_invalid(group)
        raise _refuse(first.field, f"{first}.") from group


def _first_invalid(group: ExceptionGroup) -> PackagingInvalidMetadata:
    matched, _rest = group.split(PackagingInvalidMetadata)
    if matched is None:
        raise InvalidMetadata("The metadata could not be read.") from group
    return sorted(_leaves(matched), key=lambda error: (error.field, str(error)))[0]


def _leaves(group: BaseExceptionGroup):
    for error in group.exceptions:
        yield from (_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])


def check_no_local_version(metadata: Metadata) -> None:
    """Raises InvalidMetadata for a local version (`1.0+abc`): an index serves public versions."""
    if metadata.version is not None and metadata.version.local is not None:
        raise _refuse("version", f"The use of local versions in '{metadata.version}' is not allowed.")


def check_summary_length(metadata: Metadata) -> None:
    """Raises InvalidMetadata for a Summary longer than 512 characters."""
    if metadata.summary and len(metadata.summary) > SUMMARY_MAX:
        raise _refuse("summary", f"'Summary' field must be {SUMMARY_MAX} characters or less.")


def check_email_addresses(metadata: Metadata) -> None:
    """Raises InvalidMetadata for an Author-email or Maintainer-email address that is not valid
    (checked by email-validator, without asking DNS)."""
    for field in ("author_email", "maintainer_email"):
        value = getattr(metadata, field)
        for _display, address in email.utils.getaddresses([value] if value else []):
            if not address:
                continue
            try:
                email_validator.validate_email(address, check_deliverability=False)
            except email_validator.EmailNotValidError as error:
                raise _refuse(field, f"'{address}' is not a valid email address: {error}") from error


def check_classifiers(metadata: Metadata) -> None:
    """Raises InvalidMetadata for a classifier trove-classifiers does not know, or a deprecated
    one (naming its replacement when it has one)."""
    classifiers = set(metadata.classifiers or [])
    unknown = sorted(classifiers - KNOWN_CLASSIFIERS - deprecated_classifiers.keys())
    if unknown:
        raise _refuse("classifiers", f"'{unknown[0]}' is not a valid classifier.")
    deprecated = sorted(classifiers & deprecated_classifiers.keys())
    if deprecated:
        replacements = deprecated_classifiers[deprecated[0]]
        instead = f", use one of {replacements} instead" if replacements else ""
        raise _refuse("classifiers", f"The classifier '{deprecated[0]}' has been deprecated{instead}.")


def is_web_url(url: str) -> bool:
    """True for an http or https URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in URL_SCHEMES and bool(parts.hostname)


def check_urls(metadata: Metadata) -> None:
    """Raises InvalidMetadata for a Home-page, Download-URL or Project-URL that is not an http(s)
    URL, or a Project-URL label that is empty or longer than 32 characters."""
    for field in ("home_page", "download_url"):
        url = getattr(metadata, field)
        if url and not is_web_url(url):
            raise _refuse(field, f"'{url}' is not a valid url.")
    for label, url in (metadata.project_urls or {}).items():
        if not label:
            raise _refuse("project_urls", "Must have a label.")
        if len(label) > PROJECT_URL_LABEL_MAX:
            raise _refuse("project_urls", f"'{label}' must be {PROJECT_URL_LABEL_MAX} characters or less.")
        if not is_web_url(url):
            raise _refuse("project_urls", f"'{url}' is not a valid url.")


def check_dependencies(metadata: Metadata) -> None:
    """Raises InvalidMetadata for a direct URL reference (`pkg @ https://...`) in Requires-Dist,
    Provides-Dist or Obsoletes-Dist (an index's files must not pull code from elsewhere), or a
    Provides-Dist/Obsoletes-Dist that is not a valid requirement."""
    for requirement in metadata.requires_dist or []:
        if requirement.url is not None:
            raise _refuse("requires_dist", f"Can't have direct dependency: '{requirement}'.")
    for field in ("provides_dist", "obsoletes_dist"):
        for text in getattr(metadata, field) or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as error:
                raise _refuse(field, f"'{text}' is invalid: {error}") from error
            if requirement.url is not None:
                raise _refuse(field, f"Can't have direct dependency: '{text}'.")


def check_license_fields(metadata: Metadata) -> None:
    """Raises InvalidMetadata when both License and License-Expression are set (PEP 639: the
    expression replaces the free text)."""
    if metadata.license and metadata.license_expression:
        raise _refuse("license", "License and License-Expression cannot both be set; "
                                 "keep only License-Expression.")


def check_description_renders(metadata: Metadata) -> None:
    """Raises InvalidMetadata when a reStructuredText description (the default content type) does
    not render; Markdown and plain text always render."""
    content_type = (metadata.description_content_type or DEFAULT_CONTENT_TYPE).split(";")[0].strip()
    if not metadata.description or content_type != DEFAULT_CONTENT_TYPE:
        return
    if readme_renderer.rst.render(metadata.description, stream=io.StringIO()) is None:
        raise _refuse("description", f"The description failed to render for '{content_type}'. "
                                     "Run `twine check` on the distribution to see why.")


METADATA_CHECKS: tuple[Callable[[Metadata], None], ...] = (
    check_no_local_version,
    check_summary_length,
    check_email_addresses,
    check_classifiers,
    check_urls,
    check_dependencies,
    check_license_fields,
    check_description_renders,
)


def check_core_metadata(raw: RawMetadata) -> Metadata:
    """Validates core metadata (from the form, or a wheel's METADATA parsed with
    `packaging.metadata.parse_email`) and returns it. Raises InvalidMetadata."""
    check_metadata_version(raw)
    metadata = validated(raw)
    for check in METADATA_CHECKS:
        check(metadata)
    return metadata


def check_form_metadata(fields: Fields) -> Metadata:
    """Validates the metadata fields of the upload form (already cleaned of NULs and UNKNOWN).
    Raises InvalidMetadata."""
    return check_core_metadata(raw_metadata_from_form(fields))
