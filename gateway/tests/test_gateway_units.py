"""Gateway units: error mapping, legacy authentication refusals, CSRF — fakes at the gRPC port."""

from __future__ import annotations

import asyncio
import base64
from types import SimpleNamespace

import grpc
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.settings import load
from gatehouse.tokens.v1 import tokens_pb2
from gateway.auth import caller_for, check_csrf
from gateway.errors import Forbidden, error_middleware
from gateway.keys import CLIENTS, SETTINGS
from gateway.routes import api_tokens, legacy


def _refusal(status, details, code):
    return grpc.aio.AioRpcError(status, grpc.aio.Metadata(), grpc.aio.Metadata((ERROR_CODE_KEY, code)), details)


async def _client(routes, tmp_path) -> TestClient:
    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS] = load({"GATEHOUSE_DATA": str(tmp_path)})
    app.add_routes(routes)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_service_refusals_become_json_errors_on_the_api(tmp_path):
    routes = web.RouteTableDef()

    @routes.get("/api/v1/thing")
    async def thing(request):
        raise _refusal(grpc.StatusCode.ALREADY_EXISTS, "The username 'alice' is already taken.", "username_taken")

    client = await _client(routes, tmp_path)
    answer = await client.get("/api/v1/thing")
    assert answer.status == 409
    assert await answer.json() == {"error": {"code": "username_taken", "message": "The username 'alice' is already taken."}}
    await client.close()


async def test_legacy_refusals_carry_the_sentence_in_the_reason_phrase(tmp_path):
    routes = web.RouteTableDef()

    @routes.post("/legacy/")
    async def upload(request):
        raise _refusal(grpc.StatusCode.INVALID_ARGUMENT, "File already exists ('demo-1.0.tar.gz').", "file_exists")

    client = await _client(routes, tmp_path)
    answer = await client.post("/legacy/")
    assert (answer.status, answer.reason) == (400, "File already exists ('demo-1.0.tar.gz').")
    await client.close()


async def test_internal_service_failures_do_not_leak_details(tmp_path):
    routes = web.RouteTableDef()

    @routes.get("/api/v1/boom")
    async def boom(request):
        raise _refusal(grpc.StatusCode.INTERNAL, "Traceback: secret internals", "internal")

    client = await _client(routes, tmp_path)
    answer = await client.get("/api/v1/boom")
    assert answer.status == 500
    assert "internals" not in await answer.text()
    await client.close()


async def test_legacy_refuses_password_login_and_asks_for_a_token(tmp_path):
    client = await _client(legacy.routes, tmp_path)
    basic = base64.b64encode(b"alice:hunter22").decode()
    answer = await client.post("/legacy/", headers={"Authorization": f"Basic {basic}"})
    assert answer.status == 403 and "API token" in answer.reason
    anonymous = await client.post("/legacy/")
    assert anonymous.status == 401 and "__token__" in anonymous.reason
    await client.close()


def _request(headers):
    request = make_mocked_request("POST", "/api/v1/tokens", headers={"Host": "127.0.0.1:8080", **headers})
    request.app[SETTINGS] = load({"GATEHOUSE_ORIGIN": "https://pkg.example.org"})
    return request


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:8080"},
    {"Origin": "https://pkg.example.org"},
    {"Referer": "http://127.0.0.1:8080/account/"},
    {"X-CSRF-Token": "the-token"},
])
def test_same_site_or_token_bearing_requests_pass(headers):
    check_csrf(_request(headers), "the-token")


@pytest.mark.parametrize("headers", [
    {},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"X-CSRF-Token": "wrong"},
    {"Referer": "https://pkg.example.org.evil.example/"},
])
def test_cross_site_requests_are_refused(headers):
    with pytest.raises(Forbidden):
        check_csrf(_request(headers), "the-token")


class _RecordingTokens:
    """Stands in for the tokens client; a malformed token must never reach it."""

    def __init__(self):
        self.calls = []

    async def VerifyToken(self, request, timeout=None):
        self.calls.append(request)
        raise AssertionError("an unreadable token reached the tokens service")


async def _token_client(tmp_path):
    routes = web.RouteTableDef()

    @routes.get("/api/v1/needs-a-token")
    async def needs_a_token(request):
        caller = await caller_for(request, tokens_pb2.Operation(action="read-audit"))
        return web.json_response({"user": caller.principal.username})

    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS] = load({"GATEHOUSE_DATA": str(tmp_path)})
    tokens = _RecordingTokens()
    app[CLIENTS] = SimpleNamespace(tokens=tokens)
    app.add_routes(routes)
    app.add_routes(legacy.routes)
    app.add_routes(api_tokens.routes)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client, tokens


async def _raw_request(client, request_head: bytes) -> bytes:
    """Sends a request whose headers carry raw bytes (no client library would); the raw answer."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(request_head + b"Host: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


UNREADABLE = b"Invalid API Token: the token is not a Gatehouse API token."


@pytest.mark.parametrize("authorization", [
    b"Bearer gatehouse-\xff\xfe",
    b"Basic " + base64.b64encode(b"__token__:gatehouse-\xff\xfe"),
    b"Basic " + base64.b64encode(b"__token__:gatehouse-\xed\xa0\x80"),  # an encoded surrogate
])
async def test_a_non_utf8_token_on_legacy_is_an_invalid_token_not_a_500(tmp_path, authorization):
    client, tokens = await _token_client(tmp_path)
    answer = await _raw_request(client, b"POST /legacy/ HTTP/1.1\r\nAuthorization: " + authorization + b"\r\n"
                                b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 0\r\n")
    assert answer.startswith(b"HTTP/1.1 403") and UNREADABLE in answer
    assert tokens.calls == []
    await client.close()


async def test_a_non_utf8_bearer_token_on_the_api_is_refused_not_a_500(tmp_path):
    client, tokens = await _token_client(tmp_path)
    answer = await _raw_request(client, b"GET /api/v1/needs-a-token HTTP/1.1\r\nAuthorization: Bearer gatehouse-\xff\r\n")
    assert answer.startswith(b"HTTP/1.1 403") and UNREADABLE in answer
    assert tokens.calls == []
    await client.close()


async def test_introspecting_a_lone_surrogate_answers_invalid_not_a_500(tmp_path):
    client, tokens = await _token_client(tmp_path)
    answer = await client.post("/api/v1/tokens/introspect", data='{"token": "gatehouse-\\ud800"}',
                               headers={"Content-Type": "application/json"})
    assert answer.status == 200
    body = await answer.json()
    assert body["valid"] is False and body["reason"] == UNREADABLE.decode()
    assert body["user"] is None and body["caveats"] is None
    assert tokens.calls == []
    await client.close()


def test_the_events_api_passes_every_filter_to_the_audit_service():
    from gateway.routes.api_events import _filter

    request = make_mocked_request(
        "GET", "/api/v1/users/alice/events?type=TokenIssued&ip=192.0.2.1&actor=bob&token_id=t-1"
        "&since=2024-05-01T00:00:00Z&until=2024-05-02T00:00:00Z")
    log_filter = _filter(request, user="alice")
    assert (log_filter.user, log_filter.type, log_filter.ip_address, log_filter.actor, log_filter.token_id) == (
        "alice", "TokenIssued", "192.0.2.1", "bob", "t-1")
    assert log_filter.until_us - log_filter.since_us == 86_400_000_000


async def test_the_offline_verify_script_is_served_as_a_download(tmp_path):
    from gateway.routes import pages

    routes = web.RouteTableDef()
    routes.get(pages.VERIFY_SCRIPT_URL)(pages.verify_script)
    client = await _client(routes, tmp_path)
    try:
        answer = await client.get("/security/verify_export.py")
        assert answer.status == 200
        assert "attachment" in answer.headers["Content-Disposition"]
        assert await answer.text() == pages.VERIFY_SCRIPT.read_text()
    finally:
        await client.close()
