"""The gateway's request id and metrics middlewares and GET /metrics, on a small real app."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from gatehouse.observability import request_ids
from gatehouse.settings import load
from gateway.errors import NotLoggedIn, error_middleware
from gateway.keys import SETTINGS
from gateway.observability import metrics_middleware, request_id_middleware, routes as metrics_routes


async def _client(seen: list[str], tmp_path) -> TestClient:
    routes = web.RouteTableDef()

    @routes.get("/things/{name}")
    async def thing(request):
        seen.append(request_ids.current())
        return web.json_response({"name": request.match_info["name"]})

    @routes.get("/private")
    async def private(request):
        raise NotLoggedIn("You must log in first.")

    app = web.Application(middlewares=[request_id_middleware, metrics_middleware, error_middleware])
    app[SETTINGS] = load({"GATEHOUSE_DATA": str(tmp_path)})
    app.add_routes(routes)
    app.add_routes(metrics_routes)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def _count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("gatehouse_http_requests_total", labels) or 0.0


async def test_an_acceptable_request_id_is_kept_bound_and_answered(tmp_path):
    seen: list[str] = []
    client = await _client(seen, tmp_path)
    try:
        answer = await client.get("/things/a", headers={"X-Request-ID": "ci-run-42"})
        assert answer.headers["X-Request-ID"] == "ci-run-42"
        assert seen == ["ci-run-42"]
    finally:
        await client.close()


async def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(tmp_path):
    seen: list[str] = []
    client = await _client(seen, tmp_path)
    try:
        unsafe = await client.get("/things/a", headers={"X-Request-ID": "<script>" * 10})
        missing = await client.get("/things/a")
        made = [unsafe.headers["X-Request-ID"], missing.headers["X-Request-ID"]]
        assert seen == made and len(set(made)) == 2
        assert all(request_ids.acceptable(value) for value in made)
    finally:
        await client.close()


async def test_requests_are_counted_by_route_template_and_answered_status(tmp_path):
    client = await _client([], tmp_path)
    try:
        ok_before = _count("GET", "/things/{name}", "200")
        refused_before = _count("GET", "/private", "401")
        unmatched_before = _count("GET", "unmatched", "404")
        for name in ("a", "b"):
            assert (await client.get(f"/things/{name}")).status == 200
        assert (await client.get("/private")).status == 401
        assert (await client.get("/nowhere")).status == 404
        assert _count("GET", "/things/{name}", "200") == ok_before + 2
        assert _count("GET", "/private", "401") == refused_before + 1
        assert _count("GET", "unmatched", "404") == unmatched_before + 1
    finally:
        await client.close()


async def test_metrics_are_exposed_in_the_prometheus_text_format(tmp_path):
    client = await _client([], tmp_path)
    try:
        await client.get("/things/a")
        answer = await client.get("/metrics")
        assert answer.status == 200 and answer.content_type == "text/plain"
        assert 'gatehouse_http_requests_total{method="GET",route="/things/{name}",status="200"}' in await answer.text()
    finally:
        await client.close()
