"""The new-token web form becomes the same caveats as the JSON API body would."""

import pytest

from gateway.errors import BadRequest
from gateway.token_forms import body_from_form, caveats_from_form


def test_every_field_of_the_form_becomes_a_caveat():
    form = {
        "projects": "alpha, beta", "project_pattern": "", "action_upload": "1", "action_yank": "1",
        "allowed_cidrs": "203.0.113.0/24 2001:db8::/32", "version": "1.0", "not_before": "2027-01-01T00:00:00Z",
        "newer_only": "1", "single_use": "1", "expires_in_days": "30",
    }
    caveats = caveats_from_form(form)
    assert list(caveats.projects) == ["alpha", "beta"]
    assert list(caveats.actions) == ["upload", "yank"]
    assert list(caveats.allowed_cidrs) == ["203.0.113.0/24", "2001:db8::/32"]
    assert (caveats.version, caveats.newer_only, caveats.single_use, caveats.staging_only) == ("1.0", True, True, False)
    assert caveats.not_before_us == 1_798_761_600_000_000
    assert caveats.expires_at_us > caveats.not_before_us - 400 * 86_400 * 1_000_000


def test_an_empty_form_asks_for_no_caveat_but_the_default_expiry():
    assert body_from_form({}) == {"projects": [], "actions": [], "allowed_cidrs": [],
                                  "newer_only": False, "single_use": False, "staging_only": False}
    assert caveats_from_form({}).expires_at_us > 0  # one year, the form's default


def test_a_malformed_date_is_refused_with_the_field_named():
    with pytest.raises(BadRequest, match="not_before"):
        caveats_from_form({"not_before": "next tuesday"})
