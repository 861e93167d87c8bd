"""Step 1 of an upload: the legacy upload form, checked field by field as PyPI does.

Each check is a small function over the cleaned fields that raises InvalidForm (or
InvalidProjectName) with PyPI's wording; `parse_form` runs them in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from services.uploads.domain.errors import InvalidForm
from services.uploads.domain.names import check_project_name

Fields = Mapping[str, list[str]]
RawFields = Iterable[tuple[str, Sequence[str]]]

FILETYPES = frozenset({"sdist", "bdist_wheel"})
METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"})
SUMMARY_MAX = 512


@dataclass(frozen=True)
class DigestField:
    """A form field carrying a hex digest of the file."""

    field: str
    algorithm: str
    hex_length: int
    label: str


DIGEST_FIELDS = (
    DigestField("md5_digest", "md5", 32, "MD5"),
    DigestField("sha256_digest", "sha256", 64, "SHA256"),
    DigestField("blake2_256_digest", "blake2_256", 64, "BLAKE2b-256"),
)
SINGLE_VALUED = (
    ":action", "protocol_version", "name", "version", "filetype", "pyversion",
    "metadata_version", "summary", "requires_python", *(d.field for d in DIGEST_FIELDS),
)
# twine --sign sends a detached signature; PyPI accepts and discards it, and so do we.
IGNORED_FILE_FIELDS = frozenset({"gpg_signature"})
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class UploadForm:
    """The form fields an upload is judged by, after every form check passed."""

    name: str
    version: str
    filetype: str
    pyversion: str
    metadata_version: str
    summary: str
    requires_python: str
    # algorithm ("md5", "sha256", "blake2_256") -> lower-case hex, only those supplied.
    digests: Mapping[str, str]

    @property
    def parsed_version(self) -> Version:
        """The version as a packaging Version (the form checks made sure it parses)."""
        return Version(self.version)


def _value(fields: Fields, name: str) -> str:
    values = fields.get(name, [])
    return values[0] if values else ""


def _invalid(field: str, advice: str) -> InvalidForm:
    return InvalidForm(f"Invalid value for {field}. Error: {advice}")


def refuse_null_bytes(raw: RawFields, file_fields: Sequence[str]) -> None:
    """Raises InvalidForm when any field name or value holds a NUL character."""
    texts = [*file_fields]
    for name, values in raw:
        texts.append(name)
        texts.extend(values)
    if any("\x00" in text for text in texts):
        raise InvalidForm("Null bytes are not allowed in form fields.")


def refuse_file_fields(file_fields: Sequence[str]) -> None:
    """Raises InvalidForm when a part other than `content` was sent as a file."""
    for name in file_fields:
        if name not in IGNORED_FILE_FIELDS:
            raise InvalidForm(f"The field '{name}' must be sent as text, not as a file.")


def clean_fields(raw: RawFields) -> dict[str, list[str]]:
    """Fields by name, without the "UNKNOWN" placeholder values distutils sends for blanks."""
    fields: dict[str, list[str]] = {}
    for name, values in raw:
        kept = [value for value in values if value.strip() != "UNKNOWN"]
        if kept:
            fields.setdefault(name, []).extend(kept)
    return fields


def check_single_values(fields: Fields) -> None:
    """Raises InvalidForm when a one-value field was sent twice (which one would count?)."""
    for name in SINGLE_VALUED:
        if len(fields.get(name, [])) > 1:
            raise InvalidForm(f"The field '{name}' was sent more than once.")


def check_action(fields: Fields) -> None:
    """Raises InvalidForm unless `:action` is file_upload."""
    if _value(fields, ":action") != "file_upload":
        raise _invalid(":action", "Use 'file_upload'; no other action is supported.")


def check_protocol_version(fields: Fields) -> None:
    """Raises InvalidForm unless protocol_version is 1."""
    if _value(fields, "protocol_version") != "1":
        raise InvalidForm("Unknown protocol version.")


def check_filetype(fields: Fields) -> None:
    """Raises InvalidForm unless filetype is sdist or bdist_wheel."""
    if _value(fields, "filetype") not in FILETYPES:
        raise _invalid("filetype", "Use a known file type.")


def check_name(fields: Fields) -> None:
    """Raises InvalidForm when the name is missing, InvalidProjectName when malformed."""
    name = _value(fields, "name")
    if not name:
        raise _invalid("name", "This field is required.")
    check_project_name(name)


def check_version(fields: Fields) -> None:
    """Raises InvalidForm unless the version is a PEP 440 public version."""
    version = _value(fields, "version")
    if not version:
        raise _invalid("version", "This field is required.")
    try:
        parsed = Version(version)
    except InvalidVersion as error:
        raise _invalid(
            "version",
            "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
        ) from error
    if parsed.local is not None:
        raise _invalid("version", "Can't use PEP 440 local versions.")


def check_metadata_version(fields: Fields) -> None:
    """Raises InvalidForm unless metadata_version is a known core metadata version."""
    if _value(fields, "metadata_version") not in METADATA_VERSIONS:
        raise _invalid("metadata_version", "Use a known metadata version.")


def check_summary(fields: Fields) -> None:
    """Raises InvalidForm for a summary over 512 characters or on several lines."""
    summary = _value(fields, "summary")
    if len(summary) > SUMMARY_MAX:
        raise _invalid("summary", f"Use at most {SUMMARY_MAX} characters.")
    if "\n" in summary or "\r" in summary:
        raise _invalid("summary", "Use a single line only.")


def check_requires_python(fields: Fields) -> None:
    """Raises InvalidForm when requires_python is not a PEP 440 specifier set."""
    try:
        SpecifierSet(_value(fields, "requires_python"))
    except InvalidSpecifier as error:
        raise _invalid("requires_python", "Use a valid PEP 440 version specifier.") from error


def check_pyversion(fields: Fields) -> None:
    """Raises InvalidForm when a wheel has no pyversion or an sdist's is not "source"."""
    pyversion = _value(fields, "pyversion")
    if _value(fields, "filetype") == "bdist_wheel" and not pyversion:
        raise InvalidForm("Python version is required for binary distribution uploads.")
    if _value(fields, "filetype") == "sdist" and pyversion not in ("", "source"):
        raise InvalidForm("Use 'source' as Python version for an sdist.")


def check_digests_present(fields: Fields) -> None:
    """Raises InvalidForm when no digest of the file was supplied."""
    if not any(_value(fields, digest.field) for digest in DIGEST_FIELDS):
        raise InvalidForm("Include at least one message digest.")


def check_digest_format(fields: Fields) -> None:
    """Raises InvalidForm for a digest that is not hex of its algorithm's length."""
    for digest in DIGEST_FIELDS:
        value = _value(fields, digest.field).lower()
        if value and (len(value) != digest.hex_length or not _HEX.match(value)):
            advice = f"Use a valid, hex-encoded, {digest.label} message digest."
            raise _invalid(digest.field, advice)


FORM_CHECKS: tuple[Callable[[Fields], None], ...] = (
    check_single_values,
    check_action,
    check_protocol_version,
    check_filetype,
    check_name,
    check_version,
    check_metadata_version,
    check_summary,
    check_requires_python,
    check_pyversion,
    check_digests_present,
    check_digest_format,
)


def parse_form(raw: RawFields, file_fields: Sequence[str]) -> UploadForm:
    """Runs every form check and returns the form. Raises InvalidForm or InvalidProjectName."""
    raw = [(name, list(values)) for name, values in raw]
    refuse_null_bytes(raw, file_fields)
    refuse_file_fields(file_fields)
    fields = clean_fields(raw)
    for check in FORM_CHECKS:
        check(fields)
    return _form_from(fields)


def _form_from(fields: Fields) -> UploadForm:
    digests = {
        digest.algorithm: _value(fields, digest.field).lower()
        for digest in DIGEST_FIELDS
        if _value(fields, digest.field)
    }
    return UploadForm(
        name=_value(fields, "name"),
        version=_value(fields, "version"),
        filetype=_value(fields, "filetype"),
        pyversion=_value(fields, "pyversion") or "source",
        metadata_version=_value(fields, "metadata_version"),
        summary=_value(fields, "summary"),
        requires_python=_value(fields, "requires_python"),
        digests=digests,
    )
