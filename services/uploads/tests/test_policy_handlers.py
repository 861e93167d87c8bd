"""Project policies through the handlers, over a real SQLite database: set by the Owner, read
back, recorded as events, and enforced as upload steps."""

from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore import registry
from gatehouse.eventstore.store import now_us
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.application.policies import get_project_policies, set_project_policy
from services.uploads.domain import errors
from services.uploads.tests.builders import sdist_bytes, wheel_bytes
from services.uploads.tests.conftest import ALICE
from services.uploads.tests.test_upload import recorded, send

ALICE_PRINCIPAL = common_pb2.Principal(user_id=ALICE.user_id, username=ALICE.username)


class Factors:
    def __init__(self, **methods):
        self.methods = {user: frozenset(names) for user, names in methods.items()}

    async def methods_of(self, user_id):
        return self.methods.get(user_id, frozenset())

    async def has_second_factor(self, user_id):
        return bool({"totp", "webauthn"} & await self.methods_of(user_id))


def login(method="webauthn", minutes_ago=1):
    return uploads_pb2.LoginFacts(second_factor_verified=True, second_factor_method=method,
                                  logged_in_at_us=now_us() - minutes_ago * 60_000_000)


def setting(principal=ALICE_PRINCIPAL, facts=None, **changes):
    return uploads_pb2.SetProjectPolicyRequest(
        principal=principal, project="Demo", login=facts or login(),
        policies=[uploads_pb2.ProjectPolicy(name=name, enabled=on) for name, on in changes.items()],
    )


@pytest.fixture
async def project(deps, tokens):
    """Project demo, uploaded by alice (its Owner); a token scoped to it is 'scoped-token'."""
    tokens.uploaders["scoped-token"] = replace(ALICE, token_id="t-scoped", token_projects=("demo",))
    await send(deps, wheel_bytes())
    return replace(deps, second_factors=Factors(**{ALICE.user_id: {"totp", "webauthn"}}))


async def test_the_owner_turns_a_policy_on_and_reads_it_back(project, units):
    answer = await set_project_policy(project, setting(require_scoped_tokens=True))
    assert answer.role == "Owner"
    assert [(p.name, p.enabled) for p in answer.policies][:3] == [
        ("require_2fa", False), ("require_phishing_resistant_2fa", False), ("require_scoped_tokens", True)]
    read = await get_project_policies(project, uploads_pb2.GetProjectPoliciesRequest(principal=ALICE_PRINCIPAL,
                                                                                     project="demo"))
    assert (list(read.policies), read.role, read.project) == (list(answer.policies), answer.role, answer.project)
    last = (await recorded(units))[-1]
    assert last.type == "ProjectPolicyChanged" and last.subject_project == "demo"
    assert list(registry.decode(last.type, last.payload).owner_user_ids) == [ALICE.user_id]


async def test_strangers_neither_read_nor_change_policies(project):
    bob = common_pb2.Principal(user_id="u-bob", username="bob")
    with pytest.raises(errors.NotACollaborator):
        await get_project_policies(project, uploads_pb2.GetProjectPoliciesRequest(principal=bob, project="demo"))
    with pytest.raises(errors.NotAnOwner, match="has no role on it"):
        await set_project_policy(project, setting(principal=bob, require_2fa=True))
    with pytest.raises(errors.ProjectNotFound):
        await get_project_policies(project, uploads_pb2.GetProjectPoliciesRequest(principal=bob, project="nope"))


async def test_a_stale_login_cannot_weaken_a_policy(project):
    await set_project_policy(project, setting(require_scoped_tokens=True))
    with pytest.raises(errors.ReauthenticationRequired):
        await set_project_policy(project, setting(facts=login(minutes_ago=31), require_scoped_tokens=False))


async def test_scoped_token_policy_refuses_a_user_wide_token_and_records_the_refusal(project, units):
    await set_project_policy(project, setting(require_scoped_tokens=True))
    with pytest.raises(errors.ScopedTokenRequired, match="scoped to it, and this token is user-wide"):
        await send(project, sdist_bytes(), filename="demo-1.0.tar.gz")
    assert (await recorded(units))[-1].type == "UploadRejected"
    accepted = await send(project, sdist_bytes(), filename="demo-1.0.tar.gz", token="scoped-token")
    assert accepted.outcome == "created"


async def test_phishing_resistant_policy_needs_the_token_owner_to_have_a_security_key(project):
    await set_project_policy(project, setting(require_phishing_resistant_2fa=True))
    totp_only = replace(project, second_factors=Factors(**{ALICE.user_id: {"totp"}}))
    with pytest.raises(errors.ProjectRequiresPhishingResistantFactor, match="has no security key"):
        await send(totp_only, sdist_bytes(), filename="demo-1.0.tar.gz")
    assert (await send(project, sdist_bytes(), filename="demo-1.0.tar.gz")).outcome == "created"


async def test_a_totp_login_cannot_manage_a_phishing_resistant_project(project):
    await set_project_policy(project, setting(require_phishing_resistant_2fa=True))
    with pytest.raises(errors.ProjectRequiresPhishingResistantFactor, match="this login used totp"):
        await set_project_policy(project, setting(facts=login("totp"), require_phishing_resistant_2fa=False))


async def test_an_added_maintainer_uploads_and_reads_but_cannot_change_policies(project, tokens, units):
    from services.uploads.application.roles import add_role
    from services.uploads.tests.conftest import BOB

    added = await add_role(project, uploads_pb2.AddRoleRequest(
        principal=ALICE_PRINCIPAL, project="demo", user_id=BOB.user_id, username=BOB.username,
        role="Maintainer", login=login()))
    assert (added.project, added.role) == ("demo", "Maintainer")
    assert (await send(project, sdist_bytes(), filename="demo-1.0.tar.gz", token="bob-token")).outcome == "created"
    bob = common_pb2.Principal(user_id=BOB.user_id, username=BOB.username)
    read = await get_project_policies(project, uploads_pb2.GetProjectPoliciesRequest(principal=bob, project="demo"))
    assert read.role == "Maintainer"
    with pytest.raises(errors.NotAnOwner, match="user 'bob' is a Maintainer"):
        await set_project_policy(project, setting(principal=bob, require_2fa=True))
