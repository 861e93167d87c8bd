"""The breached-password checkers: the bundled list, and the k-anonymity range API client
against a real HTTP server on loopback (including its failure, which must not block anyone)."""

import hashlib

import pytest
import structlog
from aiohttp import web

from services.identity.adapters import breached_passwords
from services.identity.adapters.breached_passwords import (
    BundledListThenRangeApi,
    BundledPasswordList,
    RangeApiClient,
    RangeApiUnavailable,
)
from services.identity.adapters.common_passwords import BUNDLED_LIST, bundled_common_passwords
from services.identity.application.new_passwords import check_new_password
from services.identity.domain.errors import UnacceptablePassword
from services.identity.domain.password_rules import parse_common_passwords

# Strong enough for zxcvbn and on no bundled list: only the range API can know it.
RANGE_ONLY = "violet-lantern-harbour-91"


def load_common_passwords_file_only():
    return parse_common_passwords(BUNDLED_LIST.read_text(encoding="utf-8"))


def sha1_hex(password):
    return hashlib.sha1(password.encode()).hexdigest().upper()


async def serve(handler):
    """A real HTTP server on a free loopback port answering GET /range/{prefix}."""
    app = web.Application()
    app.router.add_get("/range/{prefix}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/range/"


@pytest.fixture
async def range_api():
    """A range API that knows RANGE_ONLY (among padding and other suffixes); records prefixes asked."""
    asked = []

    async def answer(request):
        prefix = request.match_info["prefix"]
        asked.append((prefix, request.headers.get("Add-Padding")))
        digest = sha1_hex(RANGE_ONLY)
        lines = ["0" * 35 + ":3", "F" * 35 + ":0"]
        if digest.startswith(prefix):
            lines.append(f"{digest[5:]}:42")
        return web.Response(text="\r\n".join(lines))

    runner, url = await serve(answer)
    yield url, asked
    await runner.cleanup()


def test_the_bundled_list_holds_tens_of_thousands_of_zxcvbn_and_file_entries():
    bundled = bundled_common_passwords()
    assert len(bundled) > 25_000
    assert {"password1", "p@ssw0rd", "correcthorsebatterystaple", "trustno1", "sunshine"} <= bundled
    assert bundled_common_passwords() is bundled  # loaded once


# On zxcvbn's list, not in data/common_passwords.txt.
@pytest.mark.parametrize("password", ["Sunshine1", "RANGERS1", "baseball1"])
async def test_a_common_password_from_the_zxcvbn_list_is_refused_with_a_clear_message(password):
    assert password.lower() not in load_common_passwords_file_only()
    with pytest.raises(UnacceptablePassword, match="on a list of common or breached passwords"):
        await check_new_password(BundledPasswordList(), password, "rosalind", "r@example.org")


async def test_the_bundled_list_is_read_lazily_on_first_check():
    loads = []
    checker = BundledPasswordList(lambda: loads.append(1) or frozenset({"hunter22"}))
    assert loads == []
    assert await checker.is_breached("HUNTER22")
    assert loads == [1]


async def test_the_range_api_gets_only_a_five_character_prefix_and_matches_the_suffix(range_api):
    url, asked = range_api
    client = RangeApiClient(url)
    assert await client.is_breached(RANGE_ONLY)
    assert not await client.is_breached(RANGE_ONLY + "x")
    assert [prefix for prefix, _ in asked] == [sha1_hex(RANGE_ONLY)[:5], sha1_hex(RANGE_ONLY + "x")[:5]]
    assert {padding for _, padding in asked} == {"true"}


async def test_a_password_only_the_range_api_knows_is_refused(range_api):
    url, _ = range_api
    checker = BundledListThenRangeApi(BundledPasswordList(frozenset), RangeApiClient(url))
    with pytest.raises(UnacceptablePassword, match="common or breached"):
        await check_new_password(checker, RANGE_ONLY, "rosalind", "r@example.org")
    await check_new_password(checker, RANGE_ONLY + "x", "rosalind", "r@example.org")


def test_padding_lines_never_match_and_garbage_is_unavailable():
    assert not breached_passwords.suffix_in_range("F" * 35, "F" * 35 + ":0\n")
    with pytest.raises(RangeApiUnavailable):
        breached_passwords.suffix_in_range("F" * 35, "<html>oops</html>")


async def test_a_failing_range_api_falls_back_to_the_bundled_list_and_warns():
    async def broken(request):
        return web.Response(status=503, text="down")

    runner, url = await serve(broken)
    try:
        checker = BundledListThenRangeApi(BundledPasswordList(lambda: frozenset({"hunter22"})), RangeApiClient(url))
        with structlog.testing.capture_logs() as logs:
            await check_new_password(checker, RANGE_ONLY, "rosalind", "r@example.org")
            assert await checker.is_breached("hunter22")
    finally:
        await runner.cleanup()
    [warning] = [entry for entry in logs if entry["event"] == "breached_password_range_api_unavailable"]
    assert warning["log_level"] == "warning" and "503" in warning["error"]
    assert RANGE_ONLY not in str(logs)


async def test_an_unreachable_range_api_does_not_block_registration():
    async def never_asked(request):
        return web.Response(text="")

    runner, url = await serve(never_asked)
    await runner.cleanup()  # nothing listens on that port any more
    checker = BundledListThenRangeApi(BundledPasswordList(frozenset), RangeApiClient(url, timeout_seconds=2))
    with structlog.testing.capture_logs() as logs:
        assert not await checker.is_breached(RANGE_ONLY)
    assert [entry["event"] for entry in logs] == ["breached_password_range_api_unavailable"]


def test_the_checker_is_the_bundled_list_unless_a_range_url_is_set():
    assert isinstance(breached_passwords.breached_password_checker(""), BundledPasswordList)
    assert isinstance(breached_passwords.breached_password_checker("http://127.0.0.1:9/range"), BundledListThenRangeApi)
