"""The tokens service in-process: real grpc.aio server on a Unix socket, real SQLite, no NATS."""

import asyncio

import grpc
import pytest
import sqlalchemy as sa

from gatehouse.common.v1 import common_pb2
from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY, ErrorInterceptor
from gatehouse.settings import load
from gatehouse.tokens.v1 import tokens_pb2, tokens_pb2_grpc
from services.tokens.adapters.accounts_client import GrpcAccountDirectory
from services.tokens.adapters.projects_client import GrpcProjectDirectory
from services.tokens.adapters.tables import root_keys, store
from services.tokens.bootstrap import bootstrap

ALICE = common_pb2.Principal(user_id="user-alice", username="alice")
MALLORY = common_pb2.Principal(user_id="user-mallory", username="mallory")
CONTEXT = common_pb2.RequestContext(ip_address="10.0.0.7", user_agent="twine/5", request_id="r-1")
UPLOAD_DEMO = tokens_pb2.Operation(project="Demo", project_id="p-demo", action="upload", version="1.0")


PROJECT_IDS = {"demo": "p-demo"}


async def no_account_locked(self, user_id):  # stands in for the identity service
    return False


@pytest.fixture
async def service(tmp_path, monkeypatch):
    async def known_projects(self, names):  # stands in for the uploads service
        return {name: PROJECT_IDS[name] for name in names if name in PROJECT_IDS}

    monkeypatch.setattr(GrpcProjectDirectory, "ids_of", known_projects)
    monkeypatch.setattr(GrpcAccountDirectory, "is_locked", no_account_locked)
    settings = load({"GATEHOUSE_DATA": str(tmp_path)})
    process = bootstrap(settings)
    server = grpc.aio.server(interceptors=[ErrorInterceptor(process.errors)])
    process.register(server)
    (tmp_path / "run").mkdir(exist_ok=True)
    server.add_insecure_port(process.address)
    await server.start()
    channel = grpc.aio.insecure_channel(process.address)
    yield tokens_pb2_grpc.TokensServiceStub(channel), settings
    await channel.close()
    await server.stop(None)
    for hook in process.on_stop:
        await hook()


def stored_events(settings):
    engine = sa.create_engine(settings.database_url_for("tokens"))
    with engine.connect() as connection:
        rows = connection.execute(sa.select(store.events).order_by(store.events.c.position)).all()
        keys = connection.execute(sa.select(root_keys)).all()
    engine.dispose()
    return rows, keys


async def issue(stub, **caveats):
    request = tokens_pb2.IssueTokenRequest(
        owner=ALICE, name="ci", caveats=tokens_pb2.Caveats(**caveats), context=CONTEXT
    )
    return await stub.IssueToken(request)


async def verify(stub, secret, operation=UPLOAD_DEMO):
    return await stub.VerifyToken(tokens_pb2.VerifyTokenRequest(token=secret, operation=operation, context=CONTEXT))


async def test_issue_verify_revoke_then_the_token_is_dead(service):
    stub, settings = service
    issued = await issue(stub, projects=["demo"])
    token_id = issued.token.token_id

    accepted = await verify(stub, issued.secret)
    assert accepted.valid and accepted.token.username == "alice"
    assert accepted.token.last_used_ip == "10.0.0.7"
    refused = await verify(stub, issued.secret, tokens_pb2.Operation(project="other", action="upload"))
    assert refused.reason == "Invalid API Token: the token is not valid for project 'other'."

    with pytest.raises(grpc.aio.AioRpcError) as not_theirs:
        await stub.RevokeToken(tokens_pb2.RevokeTokenRequest(owner=MALLORY, token_id=token_id))
    assert not_theirs.value.code() == grpc.StatusCode.NOT_FOUND
    await stub.RevokeToken(tokens_pb2.RevokeTokenRequest(owner=ALICE, token_id=token_id, context=CONTEXT))

    after = await verify(stub, issued.secret)
    assert not after.valid
    assert after.reason == "Invalid API Token: the token has been revoked or does not exist."
    listed = await stub.ListTokens(tokens_pb2.ListTokensRequest(owner=ALICE))
    assert [(t.token_id, t.revoked) for t in listed.tokens] == [(token_id, True)]

    rows, keys = stored_events(settings)
    assert [row.type for row in rows] == [
        "TokenIssued", "ProjectTokenAdded", "TokenUsed", "TokenRejected", "TokenRevoked", "ProjectTokenRemoved",
        "TokenRejected",
    ]
    assert {row.stream for row in rows} == {f"token-{token_id}"}
    assert {row.subject_username for row in rows} == {"alice"}
    # The project events name the project (and its id), so the project's log shows them.
    assert [(row.subject_project, row.subject_project_id) for row in rows if "Project" in row.type] == [
        ("demo", "p-demo"), ("demo", "p-demo")
    ]
    assert keys == []
    secret_body = issued.secret.removeprefix(settings.token_prefix).encode()
    assert not any(secret_body in row.payload for row in rows)


async def test_bad_caveats_are_invalid_argument_with_a_sentence(service):
    stub, _ = service
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await issue(stub, allowed_cidrs=["10.0.0.0/99"])
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details() == "'10.0.0.0/99' is not a valid IP network (CIDR)."
    assert (ERROR_CODE_KEY, "invalid_caveats") in tuple(refused.value.trailing_metadata())


async def test_a_garbage_token_is_answered_not_raised(service):
    stub, _ = service
    answer = await verify(stub, "pypi-AgEIcHlwaS5vcmc")
    assert not answer.valid
    assert answer.reason == "Invalid API Token: the token is not a Gatehouse API token."


async def test_a_single_use_token_has_exactly_one_winner_among_concurrent_verifications(service):
    stub, settings = service
    issued = await issue(stub, single_use=True)

    answers = await asyncio.gather(*(verify(stub, issued.secret) for _ in range(5)))

    assert sum(answer.valid for answer in answers) == 1
    assert {a.reason for a in answers if not a.valid} == {
        "Invalid API Token: the token has been revoked or does not exist."
    }
    rows, _ = stored_events(settings)
    revoked = [row for row in rows if row.type == "TokenRevoked"]
    assert len(revoked) == 1


async def test_inspecting_a_single_use_token_neither_consumes_nor_records(service):
    stub, settings = service
    issued = await issue(stub, single_use=True)
    inspect = tokens_pb2.VerifyTokenRequest(token=issued.secret, context=CONTEXT, inspect_only=True)

    first, second = await stub.VerifyToken(inspect), await stub.VerifyToken(inspect)
    used = await verify(stub, issued.secret)

    assert first.valid and second.valid and first.token.caveats.single_use
    assert first.token.last_used_at_us == 0
    assert used.valid and used.token.revoked
    assert not (await stub.VerifyToken(inspect)).valid
    rows, _ = stored_events(settings)
    assert [row.type for row in rows] == ["TokenIssued", "TokenUsed", "TokenRevoked"]


async def test_a_token_for_an_existing_project_is_bound_to_its_id(service):
    stub, _ = service
    issued = await issue(stub, projects=["Demo", "future"])
    assert '{"project_ids":{"demo":"p-demo"},"projects":["demo","future"],"v":1}' in issued.token.caveat_documents
    assert (await verify(stub, issued.secret)).valid
    recreated = tokens_pb2.Operation(project="demo", project_id="p-other", action="upload", version="1.0")
    refused = await verify(stub, issued.secret, recreated)
    assert refused.reason == ("Invalid API Token: the token is not valid for project 'demo': it was issued "
                              "for an earlier project of that name.")
    new_project = tokens_pb2.Operation(project="future", project_id="", action="upload", version="1.0")
    assert (await verify(stub, issued.secret, new_project)).valid


async def test_only_the_first_use_from_a_network_is_recorded(service):
    stub, settings = service
    issued = await issue(stub)
    for ip in ("10.0.0.7", "10.0.0.8", "10.0.0.7", "192.0.2.1", "::ffff:192.0.2.9"):
        request = tokens_pb2.VerifyTokenRequest(token=issued.secret, operation=UPLOAD_DEMO,
                                                context=common_pb2.RequestContext(ip_address=ip))
        assert (await stub.VerifyToken(request)).valid
    rows, _ = stored_events(settings)
    used = [row for row in rows if row.type == "TokenUsed"]
    assert [row.actor_ip for row in used] == ["10.0.0.7", "192.0.2.1"]


def restricted(secret: str, *documents: str) -> str:
    """The secret with holder-added caveats (offline attenuation)."""
    from pymacaroons import Macaroon

    macaroon = Macaroon.deserialize(secret.removeprefix("gatehouse-"))
    for document in documents:
        macaroon.add_first_party_caveat(document)
    return "gatehouse-" + macaroon.serialize()


async def test_a_single_use_caveat_added_by_the_holder_is_enforced_and_never_cached(service):
    stub, settings = service
    issued = await issue(stub, projects=["demo"])
    once = restricted(issued.secret, '{"single_use":true,"v":1}')

    assert (await verify(stub, issued.secret)).valid  # the unrestricted secret, now remembered
    first = await verify(stub, once)
    assert first.valid and first.token.caveats.single_use and first.token.revoked
    assert not (await verify(stub, issued.secret)).valid  # consuming it revoked the token itself
    again = await verify(stub, once)
    assert again.reason == "Invalid API Token: the token has been revoked or does not exist."
    _, keys = stored_events(settings)
    assert keys == []  # consumed: the root key is gone


async def test_a_deferred_verification_leaves_a_single_use_token_for_the_consuming_one(service):
    stub, _ = service
    issued = await issue(stub, projects=["demo"], single_use=True)
    deferred = tokens_pb2.VerifyTokenRequest(token=issued.secret, operation=UPLOAD_DEMO, context=CONTEXT,
                                             defer_consumption=True)
    for _ in range(2):  # e.g. two uploads refused after authentication
        answer = await stub.VerifyToken(deferred)
        assert answer.valid and answer.token.caveats.single_use and not answer.token.revoked
    results = await asyncio.gather(*(verify(stub, issued.secret) for _ in range(4)))
    assert sum(result.valid for result in results) == 1
    assert not (await stub.VerifyToken(deferred)).valid


async def test_introspecting_a_genuine_refused_token_tells_what_it_is_but_a_forged_one_does_not(service):
    from pymacaroons import Macaroon

    stub, _ = service
    issued = await issue(stub, projects=["demo"])
    expired = restricted(issued.secret, '{"exp":1000,"v":1}')
    inspect = tokens_pb2.VerifyTokenRequest(token=expired, context=CONTEXT, inspect_only=True)
    answer = await stub.VerifyToken(inspect)
    assert answer.reason == "Invalid API Token: the token expired at 1970-01-01T00:16:40Z."
    assert answer.token.username == "alice" and list(answer.token.caveats.projects) == ["demo"]
    assert answer.token.expires_at_us == 1000 * 1_000_000

    original = Macaroon.deserialize(issued.secret.removeprefix("gatehouse-"))
    forged = Macaroon(location=original.location, identifier=original.identifier, key=b"x" * 32, version=2)
    forged.add_first_party_caveat('{"exp":1000,"v":1}')
    answer = await stub.VerifyToken(tokens_pb2.VerifyTokenRequest(
        token="gatehouse-" + forged.serialize(), context=CONTEXT, inspect_only=True))
    assert not answer.valid and not answer.token.token_id
    # Verifying for real (not introspection) keeps the refusal bare.
    assert not (await verify(stub, expired)).token.token_id


async def test_introspecting_a_revoked_token_tells_what_it_was_only_when_genuine(service):
    from pymacaroons import Macaroon

    stub, settings = service
    issued = await issue(stub, projects=["demo"])
    narrowed = restricted(issued.secret, '{"cidrs":["10.0.0.0/8"],"v":1}')
    await stub.RevokeToken(tokens_pb2.RevokeTokenRequest(owner=ALICE, token_id=issued.token.token_id))
    _, keys = stored_events(settings)
    assert keys == []  # revocation still deletes the root key

    for secret in (issued.secret, narrowed):
        answer = await stub.VerifyToken(tokens_pb2.VerifyTokenRequest(token=secret, context=CONTEXT, inspect_only=True))
        assert answer.reason == "Invalid API Token: the token has been revoked or does not exist."
        assert answer.token.username == "alice" and answer.token.revoked
        assert list(answer.token.caveats.projects) == ["demo"]
    assert list((await stub.VerifyToken(tokens_pb2.VerifyTokenRequest(
        token=narrowed, context=CONTEXT, inspect_only=True))).token.caveats.allowed_cidrs) == ["10.0.0.0/8"]

    original = Macaroon.deserialize(issued.secret.removeprefix("gatehouse-"))
    forged = Macaroon(location=original.location, identifier=original.identifier, key=b"x" * 32, version=2)
    tampered = Macaroon.deserialize(narrowed.removeprefix("gatehouse-"))
    tampered.caveats[-1].caveat_id = '{"cidrs":["0.0.0.0/0"],"v":1}'
    for secret in (forged.serialize(), tampered.serialize()):
        answer = await stub.VerifyToken(tokens_pb2.VerifyTokenRequest(
            token="gatehouse-" + secret, context=CONTEXT, inspect_only=True))
        assert not answer.valid and not answer.token.token_id
    # A real verification of the revoked token stays a bare refusal.
    assert not (await verify(stub, issued.secret)).token.token_id
