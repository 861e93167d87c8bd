import pytest

from services.audit.domain import query
from services.audit.domain.errors import InvalidCursor, InvalidFilter


@pytest.mark.parametrize("seq", [1, 42, 10**15])
def test_a_cursor_round_trips_and_is_url_safe(seq):
    cursor = query.encode_cursor(seq)
    assert query.decode_cursor(cursor) == seq
    assert all(c.isalnum() or c in "-_" for c in cursor)


def test_no_cursor_means_from_the_newest():
    assert query.decode_cursor("") == 0


@pytest.mark.parametrize("cursor", ["!!!", "bm9wZQ", query.encode_cursor(0), "c2VxOi01", "c2VxOng"])
def test_a_forged_cursor_is_refused(cursor):
    with pytest.raises(InvalidCursor):
        query.decode_cursor(cursor)


@pytest.mark.parametrize(("requested", "size"), [(0, 50), (10, 10), (500, 500), (10_000, 500)])
def test_page_size_defaults_to_50_and_caps_at_500(requested, size):
    assert query.page_size(requested) == size


def test_a_negative_limit_is_refused():
    with pytest.raises(InvalidFilter):
        query.page_size(-1)


def test_an_empty_time_range_is_refused():
    with pytest.raises(InvalidFilter):
        query.check_time_range(200, 100)
    query.check_time_range(100, 0)
