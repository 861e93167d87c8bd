"""Requested caveats: validation at issue, the documents a token carries, and the summary view."""

import pytest

from services.tokens.domain.errors import InvalidCaveats
from services.tokens.domain.scope import Scope, documents_for, read_all, predicate, summarize, validated

NOW = 1_800_000_000


def test_validation_normalizes_names_networks_versions_and_makes_the_default_actions_explicit():
    scope = validated(
        Scope(projects=("Foo_Bar", "foo.bar", "baz"), project_pattern="Acme_*",
              cidrs=("10.1.2.3/8", "::1"), version="v1.0"),
        NOW,
    )
    assert scope.projects == ("baz", "foo-bar")
    assert scope.project_pattern == "acme-*"
    assert scope.cidrs == ("10.0.0.0/8", "::1/128")
    assert scope.version == "1.0"
    # PyPI's default: upload, creating the project on its first upload; and yank (issue 8).
    assert scope.actions == ("create-project", "upload", "yank")
    assert validated(Scope(actions=("upload",)), NOW).actions == ("upload",)


@pytest.mark.parametrize(
    ("scope", "words"),
    [
        (Scope(cidrs=("10.0.0.0/33",)), "not a valid IP network"),
        (Scope(actions=("upload", "deploy")), "'deploy' is not a known action"),
        (Scope(projects=("bad name!",)), "not a valid project name"),
        (Scope(project_pattern="acme-[ab]"), "not a valid project pattern"),
        (Scope(version="latest"), "not a valid version"),
        (Scope(expires_at=NOW - 1), "must be in the future"),
        (Scope(not_before=NOW + 100, expires_at=NOW + 50), "after the not-before time"),
    ],
)
def test_invalid_requests_are_refused_with_a_sentence(scope, words):
    with pytest.raises(InvalidCaveats) as refused:
        validated(scope, NOW)
    assert words in refused.value.message


def test_a_configured_maximum_lifetime_requires_an_early_enough_expiry():
    with pytest.raises(InvalidCaveats, match="within 30 days"):
        validated(Scope(), NOW, max_lifetime_s=30 * 86400)
    assert validated(Scope(expires_at=NOW + 86400), NOW, max_lifetime_s=30 * 86400).expires_at == NOW + 86400


def test_documents_bind_the_user_first_and_read_back_to_the_same_scope():
    scope = validated(
        Scope(projects=("a",), actions=("yank",), not_before=NOW, expires_at=NOW + 60,
              cidrs=("10.0.0.0/8",), version="2.0", single_use=True, staging_only=True, newer_only=True),
        NOW,
    )
    documents = documents_for("user-1", scope)
    assert documents[0] == {"v": 1, "user": "user-1"}
    assert {"v": 1, "nbf": NOW, "exp": NOW + 60} in documents
    assert summarize(read_all([predicate(d) for d in documents])) == scope


def test_summary_narrows_across_holder_added_caveats():
    read = read_all([
        '{"v":1,"actions":["upload","yank"]}',
        '{"v":1,"actions":["yank"]}',
        '{"v":1,"projects":["a","b"]}',
        '{"v":1,"projects":["b","c"]}',
        '{"v":1,"exp":200}',
        '{"v":1,"exp":100}',
        '{"v":1,"cidrs":["10.0.0.0/8","::/0"]}',
        '{"v":1,"cidrs":["10.1.0.0/16","192.168.0.0/16"]}',
        '{"v":1,"staging_only":true}',
    ])
    summary = summarize(read)
    assert summary.actions == ("yank",)
    assert summary.projects == ("b",)
    assert summary.expires_at == 100
    assert summary.cidrs == ("10.1.0.0/16",)
    assert summary.staging_only and not summary.newer_only

