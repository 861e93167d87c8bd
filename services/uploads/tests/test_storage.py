"""The local file store: content-addressed paths, PEP 658 files, clean-up, no traversal."""

import pytest

from services.uploads.adapters.storage import LocalFileStore
from services.uploads.domain.errors import FileNotFound

SHA = "abcdef" + "0" * 58


def test_keep_moves_the_file_and_its_metadata_into_place(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    with files.incoming() as incoming:
        incoming.write(b"wheel bytes")
        relative = files.keep(incoming, SHA, "demo-1.0-py3-none-any.whl", b"Metadata")
    assert relative == f"ab/cd/{SHA[4:]}/demo-1.0-py3-none-any.whl"
    assert (tmp_path / "files" / relative).read_bytes() == b"wheel bytes"
    assert (tmp_path / "files" / (relative + ".metadata")).read_bytes() == b"Metadata"
    assert list((tmp_path / "files" / ".incoming").iterdir()) == []


def test_an_abandoned_upload_leaves_nothing_behind(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    with pytest.raises(RuntimeError):
        with files.incoming() as incoming:
            incoming.write(b"partial")
            raise RuntimeError("client went away")
    assert list((tmp_path / "files" / ".incoming").iterdir()) == []


def test_open_refuses_paths_outside_the_store(tmp_path):
    (tmp_path / "secret").write_text("x")
    files = LocalFileStore(tmp_path / "files")
    (tmp_path / "files").mkdir()
    with pytest.raises(FileNotFound):
        files.open("../secret")
    with pytest.raises(FileNotFound):
        files.open("ab/missing.whl")
