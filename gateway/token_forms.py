"""The web form for a new API token, translated into the JSON API's body shape so that one
function (api_tokens.caveats_from) turns both into caveats; the tokens service validates them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gatehouse.tokens.v1 import tokens_pb2
from gateway.routes.api_tokens import caveats_from, expiry_preset_us

# The actions a token may be limited to, in the order the form lists them.
ACTIONS = ("upload", "create-project", "yank", "manage-roles", "read-audit")
FLAGS = ("newer_only", "single_use", "staging_only")


def _list(text: object) -> list[str]:
    """Items of a comma- or space-separated field."""
    return [item for item in re.split(r"[,\s]+", str(text or "")) if item]


def body_from_form(form: Mapping) -> dict:
    """The JSON body `POST /api/v1/tokens` would take for this form (no expiry: presets are
    resolved separately). Unticked actions mean the default (upload, and create projects)."""
    body: dict = {
        "projects": _list(form.get("projects")),
        "actions": [action for action in ACTIONS if form.get(f"action_{action}")],
        "allowed_cidrs": _list(form.get("allowed_cidrs")),
        **{flag: bool(form.get(flag)) for flag in FLAGS},
    }
    for name in ("project_pattern", "version", "not_before"):
        if str(form.get(name, "")).strip():
            body[name] = str(form[name]).strip()
    return body


def caveats_from_form(form: Mapping) -> tokens_pb2.Caveats:
    """The caveats the form asks for. Raises BadRequest for a malformed field."""
    caveats = caveats_from(body_from_form(form))
    caveats.expires_at_us = expiry_preset_us(form.get("expires_in_days"))
    return caveats
