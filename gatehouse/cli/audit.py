"""`gatehouse audit ...`: read and follow the security logs."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from gatehouse.audit.v1 import audit_pb2
from gatehouse.cli import formatting
from gatehouse.cli.connection import CALL_TIMEOUT, Clients, operator

MAX_PAGE = 500


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="", help="a user's log (what they did and what was done to them)")
    parser.add_argument("--project", default="", help="a project's log")
    parser.add_argument("--json", action="store_true", help="JSON lines with every field and the hashes")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Adds `audit query` and `audit tail`."""
    audit = commands.add_parser("audit", help="security logs")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    query = actions.add_parser("query", help="events, newest first")
    _add_filters(query)
    query.add_argument(
        "--type", default="", help="a tag (account:api_token:issued) or event type (TokenIssued)"
    )
    query.add_argument("--since", type=formatting.parse_time, default=0, help="ISO-8601, UTC unless given")
    query.add_argument("--until", type=formatting.parse_time, default=0, help="ISO-8601, exclusive")
    query.add_argument("--ip", default="", help="only events from this IP address")
    query.add_argument("--limit", type=formatting.positive_int, default=100, help="at most this many (100)")
    query.set_defaults(run=query_events)
    tail = actions.add_parser("tail", help="follow new events until Ctrl-C")
    _add_filters(tail)
    tail.set_defaults(run=tail_events)


def event_filter(args: argparse.Namespace) -> audit_pb2.EventFilter:
    """The filter the arguments describe."""
    return audit_pb2.EventFilter(
        user=args.user,
        project=args.project,
        type=getattr(args, "type", ""),
        since_us=getattr(args, "since", 0),
        until_us=getattr(args, "until", 0),
        ip_address=getattr(args, "ip", ""),
    )


def fetch(stub, log_filter: audit_pb2.EventFilter, limit: int) -> Iterator[audit_pb2.SecurityEvent]:
    """Up to `limit` events, newest first, following the cursors page by page."""
    cursor, remaining = "", limit
    while remaining > 0:
        request = audit_pb2.QueryEventsRequest(
            caller=operator(), filter=log_filter, cursor=cursor, limit=min(remaining, MAX_PAGE)
        )
        response = stub.QueryEvents(request, timeout=CALL_TIMEOUT)
        yield from response.events[:remaining]
        remaining -= len(response.events)
        cursor = response.next_cursor
        if not cursor:
            return


def query_events(args: argparse.Namespace, clients: Clients) -> int:
    """Prints the matching events as a table or JSON lines. Raises grpc.RpcError."""
    events = list(fetch(clients.audit(), event_filter(args), args.limit))
    lines = [formatting.json_line(e) for e in events] if args.json else formatting.table(events)
    for line in lines:
        print(line)
    return 0


def tail_events(args: argparse.Namespace, clients: Clients) -> int:
    """Prints events as they happen until Ctrl-C. Raises grpc.RpcError."""
    request = audit_pb2.TailEventsRequest(caller=operator(), filter=event_filter(args))
    call = clients.audit().TailEvents(request)
    if not args.json:
        print(formatting.table_line(formatting.COLUMNS, formatting.TAIL_WIDTHS), flush=True)
    try:
        for response in call:
            line = formatting.json_line(response.event) if args.json else formatting.table_line(
                formatting.cells(response.event), formatting.TAIL_WIDTHS
            )
            print(line, flush=True)
    except KeyboardInterrupt:
        call.cancel()
    return 0
