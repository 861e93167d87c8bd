"""Reading JSON request bodies with clear refusals."""

from __future__ import annotations

import json

from aiohttp import web

from gateway.errors import BadRequest

MAX_JSON = 64 * 1024


async def read_json(request: web.Request) -> dict:
    """The body as a JSON object. Raises BadRequest for anything else or a body over 64 KiB."""
    if request.content_length is not None and request.content_length > MAX_JSON:
        raise BadRequest("The request body is too large.")
    raw = await request.content.read(MAX_JSON + 1)
    if len(raw) > MAX_JSON:
        raise BadRequest("The request body is too large.")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("The request body is not valid JSON.") from error
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def require_string(body: dict, name: str, max_length: int) -> str:
    """A required string field. Raises BadRequest when missing, not a string, or too long."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"The field '{name}' is required and must be a string.")
    if len(value) > max_length:
        raise BadRequest(f"The field '{name}' is too long (at most {max_length} characters).")
    return value


def optional_strings(body: dict, name: str) -> list[str]:
    """An optional list of strings. Raises BadRequest when it is anything else."""
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"The field '{name}' must be a list of strings.")
    return value
