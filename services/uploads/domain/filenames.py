"""Step 2 of an upload: the distribution's filename against its type and the form's metadata."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_wheel_filename,
)

from services.uploads.domain.errors import InvalidFilename
from services.uploads.domain.form import UploadForm
from services.uploads.domain.platform_tags import check_wheel_platforms

EXTENSIONS = {"sdist": ".tar.gz", "bdist_wheel": ".whl"}
FORMAT_HELP = (
    "See https://packaging.python.org/specifications/source-distribution-format/ and "
    "https://packaging.python.org/specifications/binary-distribution-format/ for more information."
)


@dataclass(frozen=True)
class Distribution:
    """A file whose name passed every filename check."""

    filename: str
    packagetype: str
    # The archive member holding the core metadata (PKG-INFO or the wheel's METADATA).
    metadata_member: str


def pep625_name(name: str) -> str:
    """The project name as PEP 625 spells it in an sdist filename."""
    return re.sub(r"[-_.]+", "_", name).lower()


def refuse_path_characters(filename: str) -> None:
    """Raises InvalidFilename for a name with a path separator or a control character."""
    if "/" in filename or "\\" in filename:
        raise InvalidFilename("Cannot upload a file with '/' or '\\' in the name.")
    if any(unicodedata.category(character) == "Cc" for character in filename):
        raise InvalidFilename("Cannot upload a file whose name contains control characters.")


def check_extension(filename: str, filetype: str) -> None:
    """Raises InvalidFilename unless the name ends in .tar.gz or .whl, matching the filetype."""
    if not filename.endswith(tuple(EXTENSIONS.values())):
        raise InvalidFilename(
            "Invalid file extension: use .tar.gz for a source distribution or .whl for a wheel. "
            + FORMAT_HELP
        )
    if not filename.endswith(EXTENSIONS[filetype]):
        raise InvalidFilename(
            f"Invalid file extension: a file of type '{filetype}' must end in {EXTENSIONS[filetype]}."
        )


def check_sdist_name(filename: str, form: UploadForm) -> Distribution:
    """Raises InvalidFilename unless the sdist is named `{name}-{version}.tar.gz` per PEP 625."""
    version = canonicalize_version(form.version, strip_trailing_zero=False)
    expected = f"{pep625_name(form.name)}-{version}.tar.gz"
    if filename != expected:
        raise InvalidFilename(
            f"Invalid source distribution filename '{filename}': it must be '{expected}' (PEP 625)."
        )
    stem = filename.removesuffix(".tar.gz")
    return Distribution(filename, "sdist", f"{stem}/PKG-INFO")


def check_wheel_name(filename: str, form: UploadForm) -> Distribution:
    """Raises InvalidFilename for a malformed wheel name or one naming another project/version."""
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as error:
        raise InvalidFilename(f"Invalid wheel filename '{filename}'. {FORMAT_HELP}") from error
    if name != canonicalize_name(form.name):
        raise InvalidFilename(f"The wheel '{filename}' belongs to project '{name}', not '{form.name}'.")
    if version != form.parsed_version:
        raise InvalidFilename(f"Version in filename should be '{form.version}' not '{version}'.")
    # The .dist-info directory is spelt exactly like the filename's first two parts.
    raw_name, raw_version = filename.split("-")[:2]
    return Distribution(filename, "bdist_wheel", f"{raw_name}-{raw_version}.dist-info/METADATA")


def check_filename(filename: str, form: UploadForm) -> Distribution:
    """Runs the filename checks in order. Raises InvalidFilename (InvalidPlatformTag for a wheel
    built for a platform the index does not accept)."""
    if not filename:
        raise InvalidFilename("Upload payload does not have a file.")
    refuse_path_characters(filename)
    check_extension(filename, form.filetype)
    if form.filetype == "sdist":
        return check_sdist_name(filename, form)
    distribution = check_wheel_name(filename, form)
    check_wheel_platforms(filename)
    return distribution
