"""Metrics and request ids on a running instance: after an upload, a refused upload and a failed
login, the gateway's and the services' /metrics count them with the right labels, and the request
id a client sent is answered back, reaches the services' log lines and the events' envelopes."""

from __future__ import annotations

import pytest
import requests

from tests.integration.flow import build_project
from tests.integration.observability_helpers import (
    log_lines, metrics_of, raw_upload, sample, service_metrics_url, wait_for_envelopes,
)

UPLOAD_ID = "obs-upload-0001"
REFUSED_ID = "obs-refused-0002"
LOGIN_ID = "obs-login-0003"


@pytest.fixture(scope="module")
def happened(alice, tmp_path_factory):
    token = alice.create_token("observed")["token"]
    wheel = next(p for p in build_project(tmp_path_factory.mktemp("build"), "observed", "1.0") if p.suffix == ".whl")
    accepted = raw_upload(alice.gatehouse, token, wheel, UPLOAD_ID)
    refused = raw_upload(alice.gatehouse, token, wheel, REFUSED_ID, sha256_digest="0" * 64)
    login = requests.post(f"{alice.gatehouse.url}/api/v1/session", timeout=30,
                          json={"username": "alice", "password": "not-her-password"},
                          headers={"X-Request-ID": LOGIN_ID})
    return {"accepted": accepted, "refused": refused, "login": login}


def test_the_requests_did_what_the_test_expects(happened):
    assert happened["accepted"].status_code == 200, happened["accepted"].text
    assert happened["refused"].status_code == 400, happened["refused"].text
    assert happened["login"].status_code == 401, happened["login"].text


def test_the_gateway_counts_requests_by_route_and_status(gatehouse, happened):
    metrics = metrics_of(f"{gatehouse.url}/metrics")
    name = "gatehouse_http_requests_total"
    assert sample(metrics, name, method="POST", route="/legacy/", status="200") >= 1
    assert sample(metrics, name, method="POST", route="/legacy/", status="400") >= 1
    assert sample(metrics, name, method="POST", route="/api/v1/session", status="401") >= 1
    timed = "gatehouse_http_request_duration_seconds_count"
    assert sample(metrics, timed, method="POST", route="/legacy/", status="200") >= 1


def test_uploads_counts_calls_and_refusals_by_reason(gatehouse, happened):
    metrics = metrics_of(service_metrics_url(gatehouse, "uploads"))
    calls = "gatehouse_grpc_requests_total"
    assert sample(metrics, calls, service="uploads", method="Upload", outcome="OK") >= 1
    assert sample(metrics, calls, service="uploads", method="Upload", outcome="INVALID_ARGUMENT") >= 1
    assert sample(metrics, "gatehouse_upload_refusals_total", reason="digest_mismatch") == 1
    assert ("gatehouse_outbox_lag_events", frozenset({("service", "uploads")})) in metrics


def test_identity_counts_the_failed_login_by_reason(gatehouse, happened):
    metrics = metrics_of(service_metrics_url(gatehouse, "identity"))
    assert sample(metrics, "gatehouse_login_failures_total", reason="invalid_credentials") >= 1
    assert sample(metrics, "gatehouse_grpc_requests_total",
                  service="identity", method="Login", outcome="UNAUTHENTICATED") >= 1


def test_tokens_counts_verifications_by_outcome(gatehouse, happened):
    metrics = metrics_of(service_metrics_url(gatehouse, "tokens"))
    assert sample(metrics, "gatehouse_token_verifications_total", outcome="valid") >= 2


def test_audit_reports_its_consumer_lag(gatehouse, happened):
    metrics = metrics_of(service_metrics_url(gatehouse, "audit"))
    lags = {dict(labels)["consumer"]: value for (name, labels), value in metrics.items()
            if name == "gatehouse_consumer_pending_messages"}
    assert lags and all(value >= 0 for value in lags.values()), lags


def test_the_request_id_is_answered_back(happened):
    assert happened["accepted"].headers["X-Request-ID"] == UPLOAD_ID
    assert happened["login"].headers["X-Request-ID"] == LOGIN_ID


def test_the_request_id_reaches_the_events_envelopes(nats, happened):
    uploaded = wait_for_envelopes(nats.url, lambda envelope: envelope.actor.request_id == UPLOAD_ID)
    failed = wait_for_envelopes(nats.url, lambda envelope: envelope.actor.request_id == LOGIN_ID)
    assert "FileAdded" in {envelope.type for envelope in uploaded}, [e.type for e in uploaded]
    assert {envelope.service for envelope in failed} == {"identity"}, [e.type for e in failed]


def test_the_request_id_reaches_the_services_log_lines(gatehouse, happened):
    uploads = [line for line in log_lines(gatehouse, "uploads") if line.get("request_id") == UPLOAD_ID]
    refused = [line for line in log_lines(gatehouse, "uploads") if line.get("request_id") == REFUSED_ID]
    identity = [line for line in log_lines(gatehouse, "identity") if line.get("request_id") == LOGIN_ID]
    tokens = [line for line in log_lines(gatehouse, "tokens") if line.get("request_id") == UPLOAD_ID]
    assert uploads and refused and identity and tokens, (uploads, refused, identity, tokens)
    assert any(line.get("event") == "grpc.refused" for line in identity)
