"""Step 4 (pure part): size limit while streaming, emptiness, digest comparison."""

import hashlib

import pytest

from services.uploads.domain.content import ContentMeter, check_digests, check_not_empty, describe_limit
from services.uploads.domain.errors import DigestMismatch, EmptyFile, FileTooLarge


def test_the_meter_hashes_with_the_three_algorithms():
    meter = ContentMeter(limit=100, project_name="demo")
    meter.add(b"hello ")
    meter.add(b"world")
    digests = meter.digests()
    assert meter.size == 11
    assert digests.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert digests.md5 == hashlib.md5(b"hello world").hexdigest()
    assert digests.blake2_256 == hashlib.blake2b(b"hello world", digest_size=32).hexdigest()


def test_the_chunk_crossing_the_limit_is_refused():
    meter = ContentMeter(limit=10, project_name="demo")
    meter.add(b"x" * 10)
    with pytest.raises(FileTooLarge, match="File too large. Limit for project 'demo' is 10 bytes."):
        meter.add(b"x")


def test_the_limit_reads_in_megabytes():
    assert describe_limit(100 * 1024 * 1024) == "100 MB"


def test_an_empty_file_is_refused():
    check_not_empty(1)
    with pytest.raises(EmptyFile):
        check_not_empty(0)


def test_supplied_digests_must_all_match():
    meter = ContentMeter(limit=100, project_name="demo")
    meter.add(b"content")
    computed = meter.digests()
    check_digests({"sha256": computed.sha256.upper(), "md5": computed.md5}, computed)
    with pytest.raises(DigestMismatch, match="does not match a digest calculated"):
        check_digests({"sha256": computed.sha256, "md5": "0" * 32}, computed)


def test_the_size_limit_comes_from_the_environment():
    from services.uploads.bootstrap import max_file_size

    assert max_file_size({"GATEHOUSE_MAX_FILE_SIZE": "1000"}) == 1000
    assert max_file_size({}) == 100 * 1024 * 1024


def test_hashing_in_two_parts_gives_the_digests_of_hashing_at_once():
    data = bytes(range(256)) * 5000
    whole, split = ContentMeter(10**9, "demo"), ContentMeter(10**9, "demo")
    for meter in (whole, split):
        meter.count(len(data))
    whole.update(data)
    split.update_sha2_blake2(data)  # the threads may finish in either order
    split.update_md5(data)
    assert split.digests() == whole.digests()
    assert whole.digests().md5 == hashlib.md5(data).hexdigest()
