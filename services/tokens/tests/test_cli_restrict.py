"""`gatehouse token restrict` writes caveats this service reads and honours (offline round trip)."""

from __future__ import annotations

import pytest

from gatehouse.cli.connection import Refusal
from gatehouse.cli.main import build_parser
from gatehouse.cli.token import caveat_documents, restrict
from services.tokens.adapters.crypto import new_root_key
from services.tokens.adapters.macaroons import MacaroonCodec
from services.tokens.domain import scope
from services.tokens.domain.caveats import CaveatPipeline, Presentation

PREFIX, TOKEN, USER = "gatehouse-", "7d3c1d2e-0000-4000-8000-000000000001", "user-1"
CODEC = MacaroonCodec(PREFIX, "https://index.example")
ROOT_KEY = new_root_key()
WIDE = CODEC.mint(TOKEN, ROOT_KEY, ['{"user":"user-1","v":1}', '{"actions":["upload"],"v":1}'])


def narrowed(*options: str) -> str:
    args = build_parser().parse_args(["token", "restrict", WIDE, *options])
    return restrict(args.token, PREFIX, caveat_documents(args))


def reason(secret: str, project: str = "demo", version: str = "1.0", ip: str = "10.1.1.1", now: int = 1_800_000_000):
    pipeline = CaveatPipeline(Presentation(USER, project, "upload", version, ip, now))
    return CODEC.verify(CODEC.read(secret), ROOT_KEY, pipeline)


def test_restricted_to_a_project_until_a_date():
    secret = narrowed("--project", "Demo", "--expires", "2027-01-01")
    assert reason(secret, now=1_790_000_000) is None
    assert reason(secret, project="other", now=1_790_000_000) == "the token is not valid for project 'other'."
    assert reason(secret, now=1_800_000_000) == "the token expired at 2027-01-01T00:00:00Z."


def test_restricted_by_network_version_and_start():
    secret = narrowed("--cidr", "10.0.0.0/8", "--version", "1.0", "--not-before", "2020-01-01T00:00:00Z")
    assert reason(secret) is None
    assert reason(secret, ip="192.0.2.1") == "the token is not valid from the address 192.0.2.1."
    assert reason(secret, version="1.1") == "the token is only valid for uploading version 1.0."


def presented_scope(secret: str) -> scope.Scope:
    """What the tokens service sums up from the caveats the narrowed token presents."""
    pipeline = CaveatPipeline(Presentation(USER, "demo", "upload", "1.0", "10.1.1.1", 1_800_000_000))
    assert CODEC.verify(CODEC.read(secret), ROOT_KEY, pipeline) is None
    return scope.summarize(pipeline.caveats)


@pytest.mark.parametrize("option, flag", [
    ("--single-use", "single_use"), ("--staging-only", "staging_only"), ("--newer-only", "newer_only"),
])
def test_each_flag_adds_the_caveat_the_service_reads(option, flag):
    args = build_parser().parse_args(["token", "restrict", WIDE, option])
    assert caveat_documents(args) == [{"v": 1, flag: True}]
    summed = presented_scope(restrict(args.token, PREFIX, caveat_documents(args)))
    flags = {name: getattr(summed, name) for name in ("single_use", "staging_only", "newer_only")}
    assert flags == {name: name == flag for name in flags}


def test_flags_combine_with_other_restrictions():
    summed = presented_scope(narrowed("--project", "demo", "--single-use", "--staging-only", "--newer-only"))
    assert (summed.single_use, summed.staging_only, summed.newer_only) == (True, True, True)
    assert summed.projects == ("demo",)
    assert presented_scope(WIDE).single_use is False


def test_restricted_actions_cannot_widen_the_issued_ones():
    assert reason(narrowed("--action", "yank")) == "the token does not allow the action 'upload'."


@pytest.mark.parametrize(
    "options", [[], ["--expires", "soon"], ["--cidr", "10.0.0.300/8"], ["--version", "one"]]
)
def test_bad_options_are_refused(options):
    with pytest.raises(Refusal):
        narrowed(*options)


def test_a_foreign_string_is_refused():
    with pytest.raises(Refusal):
        restrict("pypi-AgEI", PREFIX, [{"v": 1, "projects": ["demo"]}])
    with pytest.raises(Refusal):
        restrict(PREFIX + "!!!", PREFIX, [{"v": 1, "projects": ["demo"]}])
