"""Whether a new password is known to be common or breached.

The bundled list answers offline, always. An optional k-anonymity range API (a Pwned
Passwords-compatible service, `GATEHOUSE_BREACHED_PASSWORDS_RANGE_URL`, off by default since an
index may run offline) is asked too: it receives only the first 5 hex characters of the
password's SHA-1 and answers every known suffix with that prefix, compared here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Protocol

import aiohttp
import structlog

from services.identity.adapters.common_passwords import bundled_common_passwords

log = structlog.get_logger(__name__)

PREFIX_LENGTH = 5
RANGE_TIMEOUT_SECONDS = 3.0


class BreachedPasswordChecker(Protocol):
    async def is_breached(self, password: str) -> bool:
        """Whether the password is on a list of common or breached passwords."""
        ...


class RangeApiUnavailable(Exception):
    """The range API could not be asked or gave an answer that is not a range."""


class BundledPasswordList:
    """The offline list (lower-cased entries, compared case-insensitively), loaded on first use."""

    def __init__(self, entries: Callable[[], frozenset[str]] = bundled_common_passwords):
        self._entries = entries

    async def is_breached(self, password: str) -> bool:
        """Whether the lower-cased password is listed. Raises OSError when the list cannot be read."""
        return password.lower() in self._entries()


def range_request(password: str) -> tuple[str, str]:
    """The (prefix, suffix) of the password's upper-case hex SHA-1: only the prefix is sent."""
    # SHA-1 because that is what range APIs index by; it protects nothing here.
    digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
    return digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]


def suffix_in_range(suffix: str, body: str) -> bool:
    """Whether `suffix` is among the `SUFFIX:COUNT` lines of a range answer. Every line is
    compared in constant time; padding lines (count 0) never match. Raises RangeApiUnavailable
    when a line is not of that shape."""
    found = False
    for line in body.splitlines():
        if not line.strip():
            continue
        candidate, separator, count = line.strip().partition(":")
        if not separator or not count.isdigit():
            raise RangeApiUnavailable("The range API answered something that is not a range.")
        matches = hmac.compare_digest(candidate.upper().encode(), suffix.encode())
        found |= matches and int(count) > 0
    return found


class RangeApiClient:
    """Asks a k-anonymity range API at `base_url` (`<base_url>/<prefix>`)."""

    def __init__(self, base_url: str, timeout_seconds: float = RANGE_TIMEOUT_SECONDS):
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def is_breached(self, password: str) -> bool:
        """Whether the API knows the password. Raises RangeApiUnavailable when it cannot be
        reached in time or answers anything but a 200 range."""
        prefix, suffix = range_request(password)
        return suffix_in_range(suffix, await self._fetch(prefix))

    async def _fetch(self, prefix: str) -> str:
        # Padding makes every answer about the same size, so its length tells an observer nothing.
        headers = {"Add-Padding": "true"}
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.get(f"{self._base_url}/{prefix}", headers=headers) as response:
                    if response.status != 200:
                        raise RangeApiUnavailable(f"The range API answered HTTP {response.status}.")
                    return await response.text()
        except (aiohttp.ClientError, TimeoutError, UnicodeDecodeError) as error:
            raise RangeApiUnavailable(f"The range API could not be reached: {error!r}") from error


class BundledListThenRangeApi:
    """The bundled list, then the range API for passwords it does not hold. When the API is
    unavailable the bundled list's answer stands (and a warning is logged): an outage of
    someone else's service must not block registration."""

    def __init__(self, bundled: BreachedPasswordChecker, range_api: BreachedPasswordChecker):
        self._bundled = bundled
        self._range_api = range_api

    async def is_breached(self, password: str) -> bool:
        """Whether either source knows the password. Raises OSError when the bundled list
        cannot be read."""
        if await self._bundled.is_breached(password):
            return True
        try:
            return await self._range_api.is_breached(password)
        except RangeApiUnavailable as error:
            log.warning("breached_password_range_api_unavailable", error=str(error))
            return False


def breached_password_checker(range_url: str) -> BreachedPasswordChecker:
    """The bundled list, with the range API at `range_url` when one is set."""
    if not range_url:
        return BundledPasswordList()
    return BundledListThenRangeApi(BundledPasswordList(), RangeApiClient(range_url))
