"""The Prometheus metrics of every Gatehouse process, declared once.

Each process exports only what it records: the gateway the HTTP metrics, a service its gRPC,
outbox, consumer and domain counters. Label values are bounded (methods, routes, status names,
error codes), never user input.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

GRPC_REQUESTS = Counter(
    "gatehouse_grpc_requests", "gRPC calls served, by method and status.", ["service", "method", "outcome"]
)
GRPC_LATENCY = Histogram(
    "gatehouse_grpc_request_duration_seconds", "Time to serve a gRPC call.", ["service", "method", "outcome"]
)
HTTP_REQUESTS = Counter(
    "gatehouse_http_requests", "HTTP requests served by the gateway, by route and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "gatehouse_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route", "status"]
)
UPLOAD_REFUSALS = Counter("gatehouse_upload_refusals", "Uploads refused, by reason code.", ["reason"])
TOKEN_VERIFICATIONS = Counter(
    "gatehouse_token_verifications", "API token verifications, by outcome.", ["outcome"]
)
LOGIN_FAILURES = Counter("gatehouse_login_failures", "Failed logins, by reason code.", ["reason"])
OUTBOX_LAG = Gauge(
    "gatehouse_outbox_lag_events",
    "Events committed but not yet published (reported by the replica holding the relay lease).",
    ["service"],
)
CONSUMER_LAG = Gauge(
    "gatehouse_consumer_pending_messages", "JetStream messages not yet delivered to a durable consumer.",
    ["consumer"],
)
CONSUMER_HANDLED = Counter(
    "gatehouse_consumer_handled_events",
    "Events this process's durable consumer handled for the first time (counted after the commit;"
    " redeliveries and events another replica handled are skipped, parked events are not counted).",
    ["consumer"],
)


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric of this process and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
