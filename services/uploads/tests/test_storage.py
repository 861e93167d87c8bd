"""The local file store: content-addressed (BLAKE2b) paths, PEP 658 files, never an overwrite,
clean-up, no traversal."""

import pytest

from services.uploads.adapters.storage import LocalFileStore
from services.uploads.domain.errors import FileNotFound

BLAKE2 = "abcdef" + "0" * 58


def test_keep_moves_the_file_and_its_metadata_into_place(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    with files.incoming() as incoming:
        incoming.write(b"wheel bytes")
        stored = files.keep(incoming, BLAKE2, "demo-1.0-py3-none-any.whl", b"Metadata")
    relative = stored.path
    assert relative == f"ab/cd/{BLAKE2[4:]}/demo-1.0-py3-none-any.whl" and stored.created
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


def test_an_existing_path_is_never_overwritten(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    with files.incoming() as incoming:
        incoming.write(b"first")
        first = files.keep(incoming, BLAKE2, "demo-1.0.tar.gz", None)
    with files.incoming() as incoming:
        incoming.write(b"second")
        second = files.keep(incoming, BLAKE2, "demo-1.0.tar.gz", None)
    assert (first.created, second.created) == (True, False)
    assert (tmp_path / "files" / first.path).read_bytes() == b"first"


def test_discard_removes_the_file_and_its_metadata(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    with files.incoming() as incoming:
        incoming.write(b"wheel")
        stored = files.keep(incoming, BLAKE2, "demo-1.0-py3-none-any.whl", b"Metadata")
    files.discard(stored.path)
    assert not (tmp_path / "files" / stored.path).exists()
    assert not (tmp_path / "files" / (stored.path + ".metadata")).exists()


def test_sweep_removes_what_a_killed_process_left_in_incoming(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    (tmp_path / "files" / ".incoming").mkdir(parents=True)
    (tmp_path / "files" / ".incoming" / "upload-abandoned").write_bytes(b"half")
    assert files.sweep_incoming() == 1
    assert list((tmp_path / "files" / ".incoming").iterdir()) == []
