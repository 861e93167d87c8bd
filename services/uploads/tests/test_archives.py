"""Step 4 (archives): a wheel must be a zip with its METADATA, an sdist a gzip tar with PKG-INFO."""

import pytest

from services.uploads.adapters.archives import inspect
from services.uploads.domain.errors import InvalidDistribution
from services.uploads.domain.filenames import Distribution
from services.uploads.tests.builders import metadata_text, sdist_bytes, wheel_bytes

WHEEL = Distribution("demo-1.0-py3-none-any.whl", "bdist_wheel", "demo-1.0.dist-info/METADATA")
SDIST = Distribution("demo-1.0.tar.gz", "sdist", "demo-1.0/PKG-INFO")


def written(tmp_path, content: bytes):
    path = tmp_path / "upload"
    path.write_bytes(content)
    return path


def test_a_wheel_yields_its_metadata(tmp_path):
    assert inspect(written(tmp_path, wheel_bytes()), WHEEL) == metadata_text("demo", "1.0")


def test_a_wheel_without_its_metadata_is_refused(tmp_path):
    with pytest.raises(InvalidDistribution, match="does not contain the required METADATA file"):
        inspect(written(tmp_path, wheel_bytes(name="other")), WHEEL)


def test_a_wheel_that_is_not_a_zip_is_refused(tmp_path):
    with pytest.raises(InvalidDistribution, match="is not a valid zip archive"):
        inspect(written(tmp_path, b"not a zip at all"), WHEEL)


def test_an_sdist_with_pkg_info_passes(tmp_path):
    assert inspect(written(tmp_path, sdist_bytes()), SDIST) is None


def test_an_sdist_without_pkg_info_is_refused(tmp_path):
    with pytest.raises(InvalidDistribution, match="does not contain the required PKG-INFO"):
        inspect(written(tmp_path, sdist_bytes(pkg_info=False)), SDIST)


def test_an_sdist_under_another_directory_is_refused(tmp_path):
    with pytest.raises(InvalidDistribution):
        inspect(written(tmp_path, sdist_bytes(stem="other-1.0")), SDIST)


def test_an_sdist_that_is_not_a_gzip_tar_is_refused(tmp_path):
    with pytest.raises(InvalidDistribution, match="not a valid gzip-compressed tar archive"):
        inspect(written(tmp_path, wheel_bytes()), SDIST)
