"""User agents in words: "pip 24.0 on Linux", "Firefox on Windows". Pure.

Only clients worth naming are recognised (installers, upload tools, browsers, our own
command); anything else is shown as its first product token, or "" when empty.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

_PRODUCT = re.compile(r"^([A-Za-z][\w.\-]*)/([\w.\-+]+)")
_TOOLS = ("pip", "twine", "uv", "poetry", "pdm", "hatch", "flit", "gatehouse-cli", "python-requests", "curl")
# Order matters: Edge and Opera say "Chrome", Chrome says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
)


@dataclass(frozen=True)
class Device:
    """What sent a request: the client (with its version when known) and the operating system."""

    client: str = ""
    version: str = ""
    system: str = ""

    def __str__(self) -> str:
        name = f"{self.client} {self.version}".strip()
        return f"{name} on {self.system}" if name and self.system else name


def _pip_system(user_agent: str) -> str:
    # pip appends a JSON document describing the machine after its product token.
    _, _, rest = user_agent.partition(" ")
    try:
        system = json.loads(rest).get("system") or {}
    except (ValueError, AttributeError):
        return ""
    return str(system.get("name") or "")


def _system_of(user_agent: str) -> str:
    return next((name for marker, name in _SYSTEMS if marker in user_agent), "")


def _tool(user_agent: str) -> Device | None:
    match = _PRODUCT.match(user_agent)
    if match is None:
        return None
    name, version = match.groups()
    if name.lower() not in _TOOLS:
        return Device(client=name, version=version)
    system = _pip_system(user_agent) if name.lower() in ("pip", "uv") else _system_of(user_agent)
    return Device(client=name.lower(), version=version, system=system)


def parse(user_agent: str) -> Device:
    """The device a User-Agent header describes; an empty Device for an empty one."""
    user_agent = user_agent.strip()
    if not user_agent:
        return Device()
    if user_agent.startswith("Mozilla/"):
        browser = next((name for marker, name in _BROWSERS if marker in user_agent), "a browser")
        return Device(client=browser, system=_system_of(user_agent))
    return _tool(user_agent) or Device(client=user_agent.split(" ", 1)[0][:40])


@functools.lru_cache(maxsize=4096)
def describe(user_agent: str) -> str:
    """One short phrase for a user agent (see Device.__str__); "" when there is none."""
    # Cached: a log page shows the same few clients over and over, and every query renders it.
    return str(parse(user_agent))
