"""Each caveat check, holding and refusing; caveats the verifier does not understand are refused."""

import json

import pytest

from services.tokens.domain import caveats as cv
from services.tokens.domain.caveats import CaveatPipeline, Presentation

NOW = 1_800_000_000
USER = "user-1"


def presented(**values) -> Presentation:
    return Presentation(**{"owner_user_id": USER, "now_s": NOW, **values})


def reason(document: dict, **values) -> str | None:
    """Runs one caveat document through the pipeline; the refusal reason or None."""
    pipeline = CaveatPipeline(presented(**values))
    pipeline(json.dumps(document))
    return pipeline.first_failure


def test_user_caveat_binds_the_token_to_its_owner():
    assert reason({"v": 1, "user": USER}) is None
    assert reason({"v": 1, "user": "someone-else"}) == "the token is bound to a different user."


@pytest.mark.parametrize("sent", ["Foo_Bar", "foo.bar", "FOO-BAR", "foo--bar"])
def test_projects_caveat_compares_pep503_normalized_names(sent):
    assert reason({"v": 1, "projects": ["foo-bar", "other"]}, project=sent, action="upload") is None


def test_projects_caveat_refuses_another_project():
    assert reason({"v": 1, "projects": ["foo"]}, project="bar", action="upload") == (
        "the token is not valid for project 'bar'."
    )


def test_project_scoped_token_authenticates_but_refuses_account_level_actions():
    scoped = {"v": 1, "projects": ["foo"]}
    assert reason(scoped, project="", action="") is None
    assert "account-level" in reason(scoped, project="", action="read-audit")


@pytest.mark.parametrize(("sent", "holds"), [("acme-cli", True), ("Acme_Web", True), ("acme", False), ("xacme-a", False)])
def test_project_pattern_matches_normalized_names(sent, holds):
    outcome = reason({"v": 1, "project_pattern": "ACME_*"}, project=sent, action="upload")
    assert (outcome is None) is holds


def test_actions_caveat_allows_listed_actions_and_bare_authentication():
    document = {"v": 1, "actions": ["upload", "yank"]}
    assert reason(document, action="yank") is None
    assert reason(document, action="") is None
    assert reason(document, action="manage-roles") == "the token does not allow the action 'manage-roles'."


def test_validity_caveat_enforces_not_before_and_expiry():
    window = {"v": 1, "nbf": NOW - 10, "exp": NOW + 10}
    assert reason(window) is None
    assert reason(window, now_s=NOW - 11) == f"the token is not valid before {cv.rfc3339(NOW - 10)}."
    assert reason(window, now_s=NOW + 10) == f"the token expired at {cv.rfc3339(NOW + 10)}."
    assert reason({"v": 1, "exp": NOW - 1}) == f"the token expired at {cv.rfc3339(NOW - 1)}."


def test_times_in_reasons_are_rfc3339_utc():
    assert cv.rfc3339(1793491200) == "2026-11-01T00:00:00Z"


@pytest.mark.parametrize(
    ("ip", "holds"),
    [("10.1.2.3", True), ("::1", True), ("::ffff:10.9.9.9", True), ("192.168.0.1", False), ("2001:db8::1", False)],
)
def test_cidr_caveat_checks_ipv4_and_ipv6_clients(ip, holds):
    outcome = reason({"v": 1, "cidrs": ["10.0.0.0/8", "::1/128"]}, client_ip=ip)
    assert (outcome is None) is holds


def test_cidr_caveat_refuses_an_unknown_client_address():
    assert "address is unknown" in reason({"v": 1, "cidrs": ["10.0.0.0/8"]}, client_ip="")


def test_version_caveat_pins_uploads_only():
    pinned = {"v": 1, "version": "1.2.3"}
    assert reason(pinned, action="upload", version="1.2.3") is None
    assert reason(pinned, action="upload", version="v1.2.3") is None  # same PEP 440 version
    assert reason(pinned, action="upload", version="1.2.4") == "the token is only valid for uploading version 1.2.3."
    assert reason(pinned, action="upload", version="not a version") is not None
    assert reason(pinned, action="yank", version="9") is None


@pytest.mark.parametrize("flag", ["single_use", "staging_only", "newer_only"])
def test_flag_caveats_are_understood_and_left_to_their_enforcers(flag):
    assert reason({"v": 1, flag: True}, action="upload") is None


@pytest.mark.parametrize(
    "predicate",
    [
        '{"v":1,"colour":"blue"}',  # unknown key
        '{"v":2,"user":"user-1"}',  # unknown version
        '{"v":true,"user":"user-1"}',  # a boolean is not a version
        '{"user":"user-1"}',  # no version
        '{"v":1,"user":"user-1","projects":["a"]}',  # two layouts in one document
        '{"v":1,"actions":["upload","launch-rockets"]}',  # unknown action
        '{"v":1,"cidrs":["not-a-network"]}',
        '{"v":1,"exp":"tomorrow"}',
        '{"v":1,"single_use":false}',
        '{"v":1,"projects":"foo"}',
        "[1, 2]",
        "time < 2030",  # another system's caveat language
    ],
)
def test_caveats_the_verifier_does_not_understand_are_refused(predicate):
    pipeline = CaveatPipeline(presented(action="upload"))
    assert pipeline(predicate) is False
    assert pipeline.verdict() == cv.UNREADABLE_REASON


def test_pipeline_requires_every_caveat_and_keeps_the_first_reason():
    pipeline = CaveatPipeline(presented(project="foo", action="yank", now_s=NOW))
    results = [
        pipeline(json.dumps({"v": 1, "user": USER})),
        pipeline(json.dumps({"v": 1, "exp": NOW - 1})),
        pipeline(json.dumps({"v": 1, "actions": ["upload"]})),
    ]
    assert results == [True, False, False]
    assert pipeline.verdict() == f"the token expired at {cv.rfc3339(NOW - 1)}."


def test_a_token_without_an_actions_caveat_may_only_upload_and_yank():
    assert cv.check_implicit_actions([], presented(action="upload")) is None
    assert cv.check_implicit_actions([], presented(action="")) is None
    assert cv.check_implicit_actions([], presented(action="yank")) is None
    assert cv.check_implicit_actions([], presented(action="manage-roles")) == cv.ONLY_UPLOAD_REASON
    # As on PyPI, an upload may create the project it names.
    assert cv.check_implicit_actions([], presented(action="create-project")) is None
    with_actions = [cv.ActionsCaveat(frozenset({"manage-roles"}))]
    assert cv.check_implicit_actions(with_actions, presented(action="manage-roles")) is None


def test_a_projects_caveat_may_bind_listed_names_to_ids():
    bound = {"v": 1, "projects": ["demo", "new"], "project_ids": {"demo": "p1"}}
    assert reason(bound, project="Demo", project_id="p1") is None
    assert reason(bound, project="new", project_id="p9") is None  # did not exist at issue
    assert "earlier project of that name" in reason(bound, project="demo", project_id="p2")
    assert "earlier project of that name" in reason(bound, project="demo", project_id="")
    for broken in ({"demo": 1}, {"other": "p1"}, ["p1"]):
        assert reason({"v": 1, "projects": ["demo"], "project_ids": broken}) == cv.UNREADABLE_REASON


def test_creating_a_project_needs_both_upload_and_create_project():
    upload_only = cv.ActionsCaveat(frozenset({"upload"}))
    both = cv.ActionsCaveat(frozenset({"upload", "create-project"}))
    create_only = cv.ActionsCaveat(frozenset({"create-project"}))
    assert cv.check_actions(upload_only, presented(action="create-project")) == (
        "the token does not allow the action 'create-project'.")
    assert cv.check_actions(both, presented(action="create-project")) is None
    assert cv.check_actions(create_only, presented(action="create-project")) == (
        "the token does not allow the action 'upload'.")
    assert cv.check_actions(upload_only, presented(action="upload")) is None


def test_a_version_pin_also_holds_for_the_upload_that_creates_a_project():
    pin = cv.VersionCaveat("1.0")
    assert cv.check_version(pin, presented(action="create-project", version="1.1")) is not None
    assert cv.check_version(pin, presented(action="create-project", version="1.0")) is None
