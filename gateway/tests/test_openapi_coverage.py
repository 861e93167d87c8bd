"""Every JSON API route the gateway serves is described in gateway/openapi.json, and every
described operation is served (so the document can be trusted by API clients)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gatehouse.settings import load
from gateway.app import init_app

DOCUMENT = json.loads((Path(__file__).parent.parent / "openapi.json").read_text())
NOT_DESCRIBED = {("GET", "/api/v1/openapi.json")}  # the document itself


def _shape(path: str) -> str:
    """The path with its parameter names erased ({key_id} and {id} are the same route)."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _served(tmp_path) -> set[tuple[str, str]]:
    app = init_app(load({"GATEHOUSE_DATA": str(tmp_path)}))
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith("/api/v1/") and route.method not in ("HEAD", "OPTIONS"):
            served.add((route.method, _shape(path)))
    return served - {(method, _shape(path)) for method, path in NOT_DESCRIBED}


def _described() -> set[tuple[str, str]]:
    return {(method.upper(), _shape(path)) for path, item in DOCUMENT["paths"].items() for method in item}


def test_every_api_route_is_in_the_openapi_document(tmp_path):
    missing = _served(tmp_path) - _described()
    assert not missing, f"routes missing from gateway/openapi.json: {sorted(missing)}"


def test_every_documented_operation_is_served(tmp_path):
    stale = _described() - _served(tmp_path)
    assert not stale, f"gateway/openapi.json describes routes the gateway does not serve: {sorted(stale)}"


def test_the_passkey_switch_is_documented_with_its_body():
    operation = DOCUMENT["paths"]["/api/v1/account/webauthn/{id}/passkey"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["enabled"] and schema["properties"]["enabled"]["type"] == "boolean"
