"""A rate-limited upload (too many new projects) answers 429 with the sentence and Retry-After."""

import grpc
from aiohttp import web

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gateway.tests.test_gateway_units import _client


async def test_a_rate_limited_upload_answers_429_with_retry_after_and_the_reason(tmp_path):
    routes = web.RouteTableDef()
    sentence = "Too many new projects created: at most 20 an hour per user. Try again in 5 minutes."

    @routes.post("/legacy/")
    async def upload(request):
        trailers = grpc.aio.Metadata((ERROR_CODE_KEY, "project_creation_rate_limited"), ("retry-after", "271"))
        raise grpc.aio.AioRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.aio.Metadata(), trailers, sentence)

    client = await _client(routes, tmp_path)
    answer = await client.post("/legacy/")
    assert (answer.status, answer.reason, answer.headers["Retry-After"]) == (429, sentence, "271")
    await client.close()
