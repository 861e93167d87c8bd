"""Security logs: /api/v1/users/{username}/events and /api/v1/projects/{name}/events.

The audit service decides who may read what; the gateway only says who is asking.
"""

from __future__ import annotations

import json

import grpc
from aiohttp import web

from gatehouse.audit.v1 import audit_pb2
from gatehouse.cli.audit import export_line
from gatehouse.tokens.v1 import tokens_pb2
from gateway.auth import caller_for
from gateway.errors import BadRequest
from gateway.keys import CLIENTS
from gateway.timestamps import format_rfc3339, parse_rfc3339

routes = web.RouteTableDef()


def event_json(event: audit_pb2.SecurityEvent) -> dict:
    """One security event in the JSON API's shape."""
    return {
        "id": event.id,
        "tag": event.tag,
        "time": format_rfc3339(event.time_us),
        "actor": {"user": event.actor.user or None, "token_id": event.actor.token_id or None},
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "additional": json.loads(event.additional_json or "{}"),
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


def _filter(request: web.Request, **subject) -> audit_pb2.EventFilter:
    query = request.query
    event_filter = audit_pb2.EventFilter(
        type=query.get("type", ""), ip_address=query.get("ip", ""), actor=query.get("actor", ""),
        token_id=query.get("token_id", ""), **subject,
    )
    if "since" in query:
        event_filter.since_us = parse_rfc3339(query["since"], "since")
    if "until" in query:
        event_filter.until_us = parse_rfc3339(query["until"], "until")
    return event_filter


def _limit(request: web.Request) -> int:
    try:
        return int(request.query.get("limit", "50"))
    except ValueError as error:
        raise BadRequest("The parameter 'limit' must be a number.") from error


async def _query(request: web.Request, caller, event_filter) -> web.Response:
    answer = await request.app[CLIENTS].audit.QueryEvents(
        audit_pb2.QueryEventsRequest(
            caller=caller.principal, filter=event_filter, cursor=request.query.get("cursor", ""), limit=_limit(request)
        ),
        timeout=10,
    )
    return web.json_response(
        {"events": [event_json(event) for event in answer.events], "next": answer.next_cursor or None}
    )


@routes.get("/api/v1/users/{username}/events")
async def user_events(request: web.Request) -> web.Response:
    """A user's security log, newest first."""
    caller = await caller_for(request)
    return await _query(request, caller, _filter(request, user=request.match_info["username"]))


@routes.get("/api/v1/projects/{name}/events")
async def project_events(request: web.Request) -> web.Response:
    """A project's security log, newest first; API tokens need the read-audit action."""
    name = request.match_info["name"]
    caller = await caller_for(request, tokens_pb2.Operation(project=name, action="read-audit"))
    return await _query(request, caller, _filter(request, project=name))


async def export_log(request: web.Request, caller, event_filter) -> web.StreamResponse:
    """Streams a whole log as JSON lines, oldest first, with payloads and hashes (the format
    services/audit/verify_export.py checks offline)."""
    call = request.app[CLIENTS].audit.ExportEvents(
        audit_pb2.ExportEventsRequest(caller=caller.principal, filter=event_filter), timeout=300
    )
    first = await call.read()  # a refusal surfaces here, before any byte is sent
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
    response.headers["Content-Disposition"] = 'attachment; filename="security-log.jsonl"'
    await response.prepare(request)
    while first is not grpc.aio.EOF:
        await response.write((export_line(first.event) + "\n").encode())
        first = await call.read()
    await response.write_eof()
    return response


@routes.get("/api/v1/users/{username}/events/export")
async def user_events_export(request: web.Request) -> web.StreamResponse:
    """A user's whole security log as JSON lines (their own, or any for an operator)."""
    caller = await caller_for(request)
    return await export_log(request, caller, audit_pb2.EventFilter(user=request.match_info["username"]))


@routes.get("/api/v1/projects/{name}/events/export")
async def project_events_export(request: web.Request) -> web.StreamResponse:
    """A project's whole security log as JSON lines; API tokens need the read-audit action."""
    name = request.match_info["name"]
    caller = await caller_for(request, tokens_pb2.Operation(project=name, action="read-audit"))
    return await export_log(request, caller, audit_pb2.EventFilter(project=name))
