"""`gatehouse audit ...`: read and follow the security logs."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Iterator

from gatehouse.audit.v1 import audit_pb2
from gatehouse.cli import formatting
from gatehouse.cli.connection import CALL_TIMEOUT, Clients, operator

MAX_PAGE = 500


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="", help="a user's log (what they did and what was done to them)")
    parser.add_argument("--project", default="", help="a project's log")
    parser.add_argument("--actor", default="", help="only what this user did (username)")
    parser.add_argument("--token-id", default="", help="only what was done with this API token (its id)")
    parser.add_argument("--json", action="store_true", help="JSON lines with every field and the hashes")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Adds `audit query` and `audit tail`."""
    audit = commands.add_parser("audit", help="security logs")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    query = actions.add_parser("query", help="events, newest first")
    _add_filters(query)
    query.add_argument(
        "--type", default="", help="a tag (account:api_token:added) or event type (TokenIssued)"
    )
    query.add_argument("--since", type=formatting.parse_time, default=0, help="ISO-8601, UTC unless given")
    query.add_argument("--until", type=formatting.parse_time, default=0, help="ISO-8601, exclusive")
    query.add_argument("--ip", default="", help="only events from this IP address")
    query.add_argument("--limit", type=formatting.positive_int, default=100, help="at most this many (100)")
    query.set_defaults(run=query_events)
    tail = actions.add_parser("tail", help="follow new events until Ctrl-C")
    _add_filters(tail)
    tail.set_defaults(run=tail_events)
    export = actions.add_parser("export", help="JSON lines, oldest first, with payloads and hashes")
    export.add_argument("--user", default="", help="only this user's log")
    export.add_argument("--project", default="", help="only this project's log")
    export.set_defaults(run=export_events)
    verify = actions.add_parser("verify", help="check every hash chain; exit 1 naming the first break")
    verify.set_defaults(run=verify_chains)
    rebuild = actions.add_parser("rebuild", help="replay the whole stream into a fresh projection")
    rebuild.add_argument("--timeout", type=formatting.positive_int, default=300, help="seconds to wait (300)")
    rebuild.set_defaults(run=rebuild_projection)
    parked = actions.add_parser("parked", help="messages the projector could not project, newest first")
    parked.add_argument("--limit", type=formatting.positive_int, default=100, help="at most this many (100)")
    parked.set_defaults(run=list_parked)


def event_filter(args: argparse.Namespace) -> audit_pb2.EventFilter:
    """The filter the arguments describe."""
    return audit_pb2.EventFilter(
        user=args.user,
        project=args.project,
        type=getattr(args, "type", ""),
        since_us=getattr(args, "since", 0),
        until_us=getattr(args, "until", 0),
        ip_address=getattr(args, "ip", ""),
        actor=args.actor,
        token_id=args.token_id,
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


def export_document(event: audit_pb2.SecurityEvent) -> dict:
    """One exported event: every field the chain hash covers (under the names
    services/audit/verify_export.py expects, payload in base64), its hashes and its meaning."""
    return {
        "id": event.id,
        "service": event.service,
        "stream": event.stream,
        "version": event.version,
        "type": event.event_type,
        "time_us": event.time_us,
        "time": formatting.iso_time(event.time_us, precise=True),
        "tag": event.tag,
        "summary": event.summary,
        "device": event.device,
        "actor": {
            "ip_address": event.ip_address,
            "token_id": event.actor.token_id,
            "user_agent": event.user_agent,
            "user_id": event.actor.user_id,
            "username": event.actor_username or event.actor.user,
        },
        "subjects": {
            "project": event.subject_project,
            "project_id": event.subject_project_id,
            "user_id": event.subject_user_id,
            "username": event.subject_user,
        },
        "payload": base64.b64encode(event.payload).decode("ascii"),
        "additional": json.loads(event.additional_json or "{}"),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def export_line(event: audit_pb2.SecurityEvent) -> str:
    """One exported event as one line of JSON (see export_document)."""
    return json.dumps(export_document(event), sort_keys=True, ensure_ascii=False)


def export_events(args: argparse.Namespace, clients: Clients) -> int:
    """Writes the log as JSON lines, oldest first. Raises grpc.RpcError."""
    request = audit_pb2.ExportEventsRequest(
        caller=operator(), filter=audit_pb2.EventFilter(user=args.user, project=args.project)
    )
    for response in clients.audit().ExportEvents(request):
        sys.stdout.write(export_line(response.event) + "\n")
    sys.stdout.flush()
    return 0


def verify_chains(args: argparse.Namespace, clients: Clients) -> int:
    """Prints whether every chain holds; 2 and the first broken event when one does not.
    Raises grpc.RpcError."""
    request = audit_pb2.VerifyChainsRequest(caller=operator())
    answer = clients.audit().VerifyChains(request, timeout=600)
    if answer.intact:
        print(f"OK: {answer.events_checked} events, every hash chain intact")
        return 0
    broken = answer.first_break
    print(
        f"BROKEN: event {broken.event_id} ({broken.service} stream {broken.stream} "
        f"version {broken.version}): {broken.problem}",
        file=sys.stderr,
    )
    return 2


def rebuild_projection(args: argparse.Namespace, clients: Clients) -> int:
    """Replays the stream into a fresh projection and waits for it. Raises grpc.RpcError."""
    request = audit_pb2.RebuildProjectionRequest(caller=operator(), timeout_seconds=args.timeout)
    answer = clients.audit().RebuildProjection(request, timeout=args.timeout + 30)
    print(f"Rebuilt: {answer.events_projected} events projected from the stream")
    return 0


def parked_line(event: audit_pb2.ParkedEvent) -> str:
    """One parked message in words: when, where in the stream, which event, why."""
    what = "an unreadable envelope"
    if event.event_id:
        what = f"event {event.event_id} ({event.event_type}, {event.service} stream {event.stream} v{event.version})"
    when = formatting.iso_time(event.parked_at_us)
    return f"{when}  #{event.stream_sequence} {event.subject}: {what}: {event.error}"


def list_parked(args: argparse.Namespace, clients: Clients) -> int:
    """Prints the parked messages, newest first ("No parked events." when none). Raises grpc.RpcError."""
    request = audit_pb2.ListParkedEventsRequest(caller=operator(), limit=min(args.limit, MAX_PAGE))
    answer = clients.audit().ListParkedEvents(request, timeout=CALL_TIMEOUT)
    for event in answer.events:
        print(parked_line(event))
    if not answer.events:
        print("No parked events.")
    return 0
