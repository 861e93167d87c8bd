"""The Simple API's file entries: PEP 503/592/658/691/700/714 pieces, rendered from a file."""

from gatehouse.uploads.v1 import uploads_pb2
from gateway.routes.simple import _file_json, _file_link

WHEEL = uploads_pb2.DistributionFile(
    filename="demo-1.0-py3-none-any.whl", version="1.0", path="ab/cd/ef/demo-1.0-py3-none-any.whl",
    sha256="a" * 64, requires_python=">=3.8,<4", size=1234, upload_time_us=1_700_000_000_000_000,
    metadata_sha256="b" * 64,
)


def test_the_html_link_carries_hash_escaped_requires_python_and_both_metadata_attributes():
    link = _file_link(WHEEL)
    assert f'href="/files/{WHEEL.path}#sha256={"a" * 64}"' in link
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in link
    assert f'data-core-metadata="sha256={"b" * 64}"' in link
    assert f'data-dist-info-metadata="sha256={"b" * 64}"' in link
    assert "data-yanked" not in link


def test_a_yanked_file_says_so_with_its_reason():
    yanked = uploads_pb2.DistributionFile(filename="x.whl", path="x", sha256="c" * 64, yanked=True,
                                          yanked_reason='broken "wheel"')
    assert 'data-yanked="broken &quot;wheel&quot;"' in _file_link(yanked)
    assert _file_json(yanked)["yanked"] == 'broken "wheel"'
    assert _file_json(uploads_pb2.DistributionFile(filename="y.whl", yanked=True))["yanked"] is True


def test_the_json_entry_has_the_pep_691_and_700_keys():
    entry = _file_json(WHEEL)
    assert entry["hashes"] == {"sha256": "a" * 64}
    assert entry["core-metadata"] == entry["dist-info-metadata"] == {"sha256": "b" * 64}
    assert (entry["requires-python"], entry["size"], entry["yanked"]) == (">=3.8,<4", 1234, False)
    assert entry["upload-time"].startswith("2023-11-14T22:13:20")
    assert _file_json(uploads_pb2.DistributionFile(filename="z.tar.gz"))["core-metadata"] is False
