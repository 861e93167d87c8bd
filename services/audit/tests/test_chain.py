from gatehouse.events.v1 import identity_pb2 as identity_events
from services.audit.domain import chain
from services.audit.tests.factories import Chains, actor


def _stream(count=3, stream="user-a"):
    chains = Chains()
    return [chains.next("identity", stream, identity_events.LoginSucceeded(user_id="a"), actor())
            for _ in range(count)]


def test_an_untouched_stream_links_event_by_event():
    head = chain.ChainHead()
    for envelope in _stream():
        assert chain.check_link(head, envelope).ok
        head = chain.advance(head, envelope)
    assert head.version == 3


def test_a_tampered_payload_breaks_the_link():
    first, second, _ = _stream()
    second.payload = identity_events.LoginSucceeded(user_id="mallory").SerializeToString()
    verdict = chain.check_link(chain.advance(chain.ChainHead(), first), second)
    assert not verdict.ok and "content" in verdict.problem


def test_a_tampered_ip_address_breaks_the_link():
    (first,) = _stream(1)
    first.actor.ip_address = "203.0.113.9"
    assert not chain.check_link(chain.ChainHead(), first).ok


def test_a_missing_event_breaks_the_link():
    first, _, third = _stream()
    verdict = chain.check_link(chain.advance(chain.ChainHead(), first), third)
    assert not verdict.ok and "version 3 follows version 1" == verdict.problem


def test_a_rewritten_prev_hash_breaks_the_link_even_when_the_hash_is_recomputed():
    first, second, _ = _stream()
    second.prev_hash = "1" * 64
    second.hash = chain.chain_hash(second.prev_hash, second)
    assert not chain.check_link(chain.advance(chain.ChainHead(), first), second).ok


def test_a_late_event_never_moves_the_head_back():
    first, second, _ = _stream()
    head = chain.advance(chain.advance(chain.ChainHead(), first), second)
    assert chain.advance(head, first) == head


def test_first_break_names_the_tampered_event_among_several_streams():
    streams = _stream(2, "user-a") + _stream(3, "user-b")
    streams[3].actor.user_agent = "forged"
    found = chain.first_break(streams)
    assert (found.event_id, found.stream, found.version) == (streams[3].event_id, "user-b", 2)


def test_first_break_is_none_for_intact_chains():
    assert chain.first_break(_stream(2, "user-a") + _stream(2, "user-b")) is None


def test_a_walker_names_a_stream_whose_tail_is_missing():
    walker = chain.ChainWalker()
    for envelope in _stream(count=2):
        assert walker.check(envelope) is None
    projected = {
        ("identity", "user-a"): chain.ChainHead(3, "f" * 64),
        ("tokens", "token-b"): chain.ChainHead(1, "e" * 64),
    }
    found = walker.missing_tail(projected)
    assert (found.service, found.stream, found.version) == ("identity", "user-a", 3)
    del projected[("identity", "user-a")]
    assert walker.missing_tail(projected).stream == "token-b"
    assert walker.missing_tail({}) is None


def test_place_puts_a_successor_that_arrived_first_after_its_predecessor():
    first, second, third = _stream()
    placement = chain.place([third, first, second], {})
    assert [e.version for e in placement.ready] == [1, 2, 3] and placement.waiting == []


def test_place_holds_an_event_whose_predecessor_is_neither_projected_nor_in_the_batch():
    first, second, third = _stream()
    head = chain.advance(chain.ChainHead(), first)
    placement = chain.place([third], {("identity", "user-a"): head})
    assert placement.ready == [] and placement.waiting == [third]


def test_place_lets_an_overdue_event_go_and_its_held_successors_after_it():
    events = _stream(4)
    placement = chain.place([events[3], events[2]], {}, overdue={events[2].event_id})
    assert [e.version for e in placement.ready] == [3, 4] and placement.waiting == []


def test_place_does_not_hold_a_wrong_prev_hash_whose_predecessor_is_projected():
    first, second, _ = _stream()
    second.prev_hash = "1" * 64
    head = chain.advance(chain.ChainHead(), first)
    assert chain.place([second], {("identity", "user-a"): head}).ready == [second]
