import io

import pytest

from gatehouse.cli import admin, audit
from gatehouse.cli.connection import Refusal
from gatehouse.cli.main import build_parser


def parse(*argv):
    return build_parser().parse_args(argv)


def test_create_user_takes_a_username_email_and_flags():
    args = parse("admin", "create-user", "alice", "--email", "a@example.org", "--verified", "--password-stdin")
    assert (args.username, args.email, args.verified, args.password_stdin) == (
        "alice", "a@example.org", True, True)
    assert args.run is admin.create_user


def test_create_user_requires_an_email(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse("admin", "create-user", "alice")
    assert exit_.value.code == 2 and "--email" in capsys.readouterr().err


def test_a_create_user_call_is_made_as_the_operator_from_local():
    args = parse("admin", "create-user", "alice", "--email", "a@example.org")
    request = admin.create_request(args, "correct horse")
    assert request.actor.operator and not request.email_verified
    assert request.context.ip_address == "local"
    assert request.context.user_agent.startswith("gatehouse-cli/")
    assert request.password == "correct horse"


def test_lock_takes_a_username_and_a_reason_and_acts_as_the_operator():
    args = parse("admin", "lock", "mallory", "--reason", "spam uploads")
    assert args.run is admin.lock_user
    request = admin.lock_request(args)
    assert (request.username, request.reason, request.actor.operator) == ("mallory", "spam uploads", True)


def test_unlock_takes_a_username():
    args = parse("admin", "unlock", "mallory")
    assert (args.username, args.run) == ("mallory", admin.unlock_user)


def test_the_password_is_the_first_line_of_stdin():
    assert admin.read_password(True, io.StringIO("s3cret pass\nignored\n")) == "s3cret pass"


def test_an_empty_stdin_is_refused():
    with pytest.raises(Refusal, match="No password"):
        admin.read_password(True, io.StringIO(""))


def test_the_password_is_typed_twice():
    answers = iter(["one password", "another"])
    with pytest.raises(Refusal, match="do not match"):
        admin.read_password(False, prompt=lambda _: next(answers))
    assert admin.read_password(False, prompt=lambda _: "same password") == "same password"


def test_query_filters_become_the_event_filter():
    args = parse("audit", "query", "--user", "alice", "--project", "Demo", "--type", "TokenIssued",
                 "--since", "2024-05-01T00:00:00Z", "--ip", "192.0.2.1", "--json")
    log_filter = audit.event_filter(args)
    assert (log_filter.user, log_filter.project, log_filter.type, log_filter.ip_address) == (
        "alice", "Demo", "TokenIssued", "192.0.2.1")
    assert log_filter.since_us == 1_714_521_600_000_000
    assert args.json and args.limit == 100 and args.run is audit.query_events


def test_a_naive_since_is_utc_and_an_offset_is_honoured():
    naive = parse("audit", "query", "--since", "2024-05-01").since
    shifted = parse("audit", "query", "--since", "2024-05-01T02:00:00+02:00").since
    assert naive == shifted == 1_714_521_600_000_000


@pytest.mark.parametrize("argv", [("--since", "yesterday"), ("--limit", "0"), ("--limit", "many")])
def test_bad_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse("audit", "query", *argv)
    assert exit_.value.code == 2


def test_tail_takes_user_project_and_json():
    args = parse("audit", "tail", "--project", "demo", "--json")
    assert audit.event_filter(args).project == "demo" and args.json and args.run is audit.tail_events


def test_a_command_group_is_required(capsys):
    with pytest.raises(SystemExit):
        parse()


def test_actor_and_token_filters_become_the_event_filter():
    for command in ("query", "tail"):
        log_filter = audit.event_filter(parse("audit", command, "--actor", "bob", "--token-id", "t-1"))
        assert (log_filter.actor, log_filter.token_id) == ("bob", "t-1")


def test_parked_lists_with_a_limit():
    args = parse("audit", "parked", "--limit", "5")
    assert args.limit == 5 and args.run is audit.list_parked
