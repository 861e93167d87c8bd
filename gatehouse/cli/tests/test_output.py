import json

import grpc

from gatehouse.audit.v1 import audit_pb2
from gatehouse.cli import audit, formatting
from gatehouse.cli.connection import ERROR_CODE_KEY, refusal_from
from gatehouse.cli.main import build_parser, run

TIME_US = 1_714_521_600_123_456  # 2024-05-01T00:00:00.123456Z


def event(**fields):
    values = dict(
        id="e1", tag="account:api_token:added", time_us=TIME_US, ip_address="192.0.2.1",
        actor=audit_pb2.SecurityActor(user="alice", user_id="u1", token_id=""),
        subject_user="alice", summary="API token 'ci' added", additional_json='{"name": "ci"}',
        hash="ab" * 32, prev_hash="0" * 64, chain_ok=True, version=3,
    )
    values.update(fields)
    return audit_pb2.SecurityEvent(**values)


def test_a_table_has_a_header_and_aligned_columns():
    header, first, second = formatting.table([
        event(), event(tag="project:role:added", subject_project="demo", subject_user="",
                       actor=audit_pb2.SecurityActor(user="bob", token_id="t9"), summary="x")])
    assert header.split() == ["TIME", "TAG", "ACTOR", "IP", "SUBJECT", "SUMMARY"]
    assert first.startswith("2024-05-01T00:00:00Z  account:api_token:added  alice")
    assert first.index("192.0.2.1") == second.index("192.0.2.1") == header.index("IP")
    assert "bob [token t9]" in second and second.endswith("demo     x")


def test_a_broken_chain_is_flagged_in_the_summary():
    assert formatting.cells(event(chain_ok=False))[-1] == "API token 'ci' added [HASH CHAIN BROKEN]"


def test_missing_actor_and_subject_show_as_dashes():
    cells = formatting.cells(event(actor=audit_pb2.SecurityActor(), subject_user="", ip_address=""))
    assert cells[2:5] == ("-", "-", "-")


def test_a_json_line_holds_every_field_and_the_hashes():
    document = json.loads(formatting.json_line(event()))
    assert document["hash"] == "ab" * 32 and document["prev_hash"] == "0" * 64
    assert document["time"] == "2024-05-01T00:00:00.123456Z" and document["time_us"] == TIME_US
    assert document["additional"] == {"name": "ci"}
    assert document["actor"] == {"user": "alice", "user_id": "u1", "token_id": ""}


class PagedStub:
    """Three pages of two events; records each request."""

    def __init__(self):
        self.requests = []

    def QueryEvents(self, request, timeout):
        self.requests.append(request)
        page = int(request.cursor or 0)
        events = [event(id=f"e{page * 2 + i}") for i in range(min(2, request.limit))]
        return audit_pb2.QueryEventsResponse(events=events, next_cursor=str(page + 1) if page < 2 else "")


def test_fetch_follows_cursors_until_the_end():
    stub = PagedStub()
    assert [e.id for e in audit.fetch(stub, audit_pb2.EventFilter(), limit=100)] == [f"e{i}" for i in range(6)]
    assert [r.cursor for r in stub.requests] == ["", "1", "2"]
    assert all(r.caller.operator for r in stub.requests)


def test_fetch_stops_at_the_limit():
    stub = PagedStub()
    assert len(list(audit.fetch(stub, audit_pb2.EventFilter(), limit=3))) == 3
    assert [r.limit for r in stub.requests] == [3, 1]


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details, error_code=None):
        self._code, self._details = code, details
        self._trailers = ((ERROR_CODE_KEY, error_code),) if error_code else ()

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers


def test_a_refusal_shows_the_services_sentence():
    error = FakeRpcError(grpc.StatusCode.PERMISSION_DENIED, "You are not allowed to read this security log.")
    assert str(refusal_from(error, "audit", "unix:x")) == "You are not allowed to read this security log."


def test_an_unreachable_service_is_named_with_its_address():
    error = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses")
    assert "not reachable at unix:/var/run/audit.sock" in str(refusal_from(error, "audit", "unix:/var/run/audit.sock"))


def test_unavailable_with_a_gatehouse_code_is_the_services_sentence():
    error = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "Try again shortly.", "access_check_unavailable")
    assert str(refusal_from(error, "audit", "unix:x")) == "Try again shortly."


class RefusingClients:
    def address(self, service):
        return f"unix:/run/{service}.sock"

    def identity(self):
        class Stub:
            def CreateUser(self, request, timeout):
                raise FakeRpcError(grpc.StatusCode.ALREADY_EXISTS, "The username 'alice' is already taken.",
                                   "username_taken")
        return Stub()


def test_run_prints_the_refusal_on_stderr_and_exits_1(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("long enough password\n"))
    args = build_parser().parse_args(["admin", "create-user", "alice", "--email", "a@x.org", "--password-stdin"])
    assert run(args, RefusingClients()) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "gatehouse: The username 'alice' is already taken.\n"
