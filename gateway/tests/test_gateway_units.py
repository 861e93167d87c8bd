"""Gateway units: error mapping, legacy authentication refusals, CSRF — fakes at the gRPC port."""

from __future__ import annotations

import base64

import grpc
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.settings import load
from gateway.auth import check_csrf
from gateway.errors import Forbidden, error_middleware
from gateway.keys import SETTINGS
from gateway.routes import legacy


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
