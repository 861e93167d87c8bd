"""A token limited to client networks (CIDR) is refused from any other address; the gateway
sees the tests' client as 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import build_project, twine_upload
from tests.integration.test_alerts import mails_to


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("build"), "networked", "1.0")


def test_a_token_limited_to_other_networks_is_refused(alice, files):
    token = alice.create_token("office", allowed_cidrs=["10.0.0.0/8", "2001:db8::/32"])["token"]
    done = twine_upload(alice.gatehouse, token, files)
    assert done.returncode != 0
    expected = (f"403 Forbidden from {alice.gatehouse.url}/legacy/ "
                "Invalid API Token: the token is not valid from the address 127.0.0.1.")
    assert expected in _said(done)


def test_a_token_limited_to_the_clients_network_works(alice, files):
    token = alice.create_token("loopback", allowed_cidrs=["127.0.0.0/8"])["token"]
    done = twine_upload(alice.gatehouse, token, files)
    assert done.returncode == 0, _said(done)


def test_the_first_use_from_a_network_is_in_the_account_log_once(alice, files):
    token = alice.create_token("new-network")
    assert twine_upload(alice.gatehouse, token["token"], files).returncode == 0
    def used_by_this_token(events):
        return [event for event in events
                if event["tag"] == "account:api_token:used_new_network" and event["additional"]["token_id"] == token["id"]]

    used = used_by_this_token(alice.wait_for_log("users", "alice", used_by_this_token, timeout=10))
    assert len(used) == 1  # two files uploaded from 127.0.0.1: one first use
    assert used[0]["additional"]["network"] == "127.0.0.0/24"


def test_the_first_use_from_a_network_mails_the_owner_naming_the_token_and_the_network(alice, files):
    token = alice.create_token("mailed-network")
    assert twine_upload(alice.gatehouse, token["token"], files).returncode == 0

    def network_mails():
        return [mail for mail in mails_to(alice.gatehouse, alice.email)
                if mail["Subject"] == "API token used from a new network"
                and "'mailed-network'" in mail.get_content()]

    wait_until(network_mails, timeout=30)
    assert "127.0.0.0/24" in network_mails()[0].get_content()
    assert len(network_mails()) == 1
