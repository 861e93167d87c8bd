"""Component test: the real servicer over grpc.aio on a unix socket, a real SQLite database, and
a fake TokensService reached through the real gRPC token client."""

import hashlib

import grpc
import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY, ErrorInterceptor
from gatehouse.tokens.v1 import tokens_pb2, tokens_pb2_grpc
from gatehouse.uploads.v1 import uploads_pb2, uploads_pb2_grpc
from services.uploads.adapters.storage import LocalFileStore
from services.uploads.adapters.tokens_client import GrpcTokenVerifier
from services.uploads.application.handlers import Dependencies
from services.uploads.entrypoints.grpc_server import STATUS_OF_ERROR, UploadsServicer
from services.uploads.tests.builders import form_fields, header, requests_for, wheel_bytes

WHEEL_NAME = "demo_pkg-0.1-py3-none-any.whl"


class FakeTokensService(tokens_pb2_grpc.TokensServiceServicer):
    async def VerifyToken(self, request, context):
        if request.token != "gatehouse-good" or request.operation.action not in ("upload", "create-project"):
            return tokens_pb2.VerifyTokenResponse(valid=False, reason="Invalid API Token: not for this.")
        token = tokens_pb2.TokenInfo(token_id="t-1", user_id="u-1", username="alice")
        return tokens_pb2.VerifyTokenResponse(valid=True, token=token)


@pytest.fixture
async def uploads_stub(tmp_path, units):
    tokens_server = grpc.aio.server()
    tokens_pb2_grpc.add_TokensServiceServicer_to_server(FakeTokensService(), tokens_server)
    tokens_server.add_insecure_port(f"unix:{tmp_path}/tokens.sock")
    await tokens_server.start()
    tokens_channel = grpc.aio.insecure_channel(f"unix:{tmp_path}/tokens.sock")
    deps = Dependencies(units=units, tokens=GrpcTokenVerifier(tokens_channel),
                        files=LocalFileStore(tmp_path / "files"), origin="http://localhost:8080")
    server = grpc.aio.server(interceptors=[ErrorInterceptor(STATUS_OF_ERROR)])
    uploads_pb2_grpc.add_UploadsServiceServicer_to_server(UploadsServicer(deps), server)
    server.add_insecure_port(f"unix:{tmp_path}/uploads.sock")
    await server.start()
    channel = grpc.aio.insecure_channel(f"unix:{tmp_path}/uploads.sock")
    yield uploads_pb2_grpc.UploadsServiceStub(channel)
    await channel.close()
    await tokens_channel.close()
    await server.stop(None)
    await tokens_server.stop(None)


async def stream(messages):
    for message in messages:
        yield message


async def test_upload_then_list_then_read_back(uploads_stub):
    content = wheel_bytes(name="demo-pkg", version="0.1")
    fields = form_fields(name="Demo-Pkg", version="0.1", content=content,
                         blake2_256_digest=hashlib.blake2b(content, digest_size=32).hexdigest())
    requests = requests_for(header(fields, WHEEL_NAME, token="gatehouse-good"), content, chunk_size=512)

    response = await uploads_stub.Upload(stream(requests))
    assert (response.outcome, response.project) == ("created", "Demo-Pkg")

    project = await uploads_stub.GetProject(uploads_pb2.GetProjectRequest(name="demo_pkg"))
    assert [file.filename for file in project.files] == [WHEEL_NAME]
    assert project.files[0].sha256 == hashlib.sha256(content).hexdigest()
    read = uploads_stub.ReadFile(uploads_pb2.ReadFileRequest(path=project.files[0].path))
    assert b"".join([message.chunk async for message in read]) == content


async def test_refusals_carry_a_status_a_sentence_and_a_code(uploads_stub):
    content = wheel_bytes(name="demo-pkg", version="0.1")
    fields = form_fields(name="demo-pkg", version="0.1", content=content)
    requests = requests_for(header(fields, WHEEL_NAME, token="stolen"), content)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await uploads_stub.Upload(stream(requests))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.details() == "Invalid API Token: not for this."
    assert (ERROR_CODE_KEY, "invalid_token") in tuple(caught.value.trailing_metadata())

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        read = uploads_stub.ReadFile(uploads_pb2.ReadFileRequest(path="../uploads.db"))
        [message async for message in read]
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_collaborator_refusals_map_to_their_statuses(uploads_stub):
    content = wheel_bytes(name="demo-pkg", version="0.1")
    fields = form_fields(name="demo-pkg", version="0.1", content=content)
    await uploads_stub.Upload(stream(requests_for(header(fields, WHEEL_NAME, token="gatehouse-good"), content)))
    alice = common_pb2.Principal(user_id="u-1", username="alice")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await uploads_stub.RemoveRole(uploads_pb2.RemoveRoleRequest(principal=alice, project="demo-pkg", username="alice"))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (ERROR_CODE_KEY, "last_owner") in tuple(caught.value.trailing_metadata())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await uploads_stub.AcceptInvitation(uploads_pb2.AcceptInvitationRequest(principal=alice, invitation_id="nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await uploads_stub.ListCollaborators(uploads_pb2.ListCollaboratorsRequest(principal=alice, project="demo-pkg"))
    assert [(c.username, c.role) for c in listed.collaborators] == [("alice", "Owner")]


async def test_release_actions_map_their_refusals(uploads_stub):
    content = wheel_bytes(name="demo-pkg", version="0.1")
    fields = form_fields(name="demo-pkg", version="0.1", content=content)
    await uploads_stub.Upload(stream(requests_for(header(fields, WHEEL_NAME, token="gatehouse-good"), content)))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await uploads_stub.PublishStage(uploads_pb2.PublishStageRequest(project="demo-pkg", version="0.1",
                                                                        token="gatehouse-good"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (ERROR_CODE_KEY, "second_factor_required") in tuple(caught.value.trailing_metadata())
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # the fake refuses every `yank`
        await uploads_stub.YankRelease(uploads_pb2.YankReleaseRequest(project="demo-pkg", version="0.1",
                                                                      token="gatehouse-good"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await uploads_stub.ListStages(uploads_pb2.ListStagesRequest(project="nothing-here"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
