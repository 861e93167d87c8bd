"""POST /legacy/: the upload API twine speaks, streamed to the uploads service.

The multipart body is read part by part; the file is never held in memory: its chunks
go straight into the gRPC client stream. The uploads service validates and decides.
"""

from __future__ import annotations

import asyncio

import grpc
from aiohttp import BodyPartReader, hdrs, web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from gatehouse.uploads.v1 import uploads_pb2
from gateway.auth import basic_credentials, bearer_token, readable_token, request_context
from gateway.errors import BadRequest, Forbidden, NotLoggedIn
from gateway.keys import CLIENTS

routes = web.RouteTableDef()
# Up to 1 MiB per gRPC message (the channel allows 8 MiB): a few hundred messages for a 50 MB
# file instead of thousands, which halves the gateway's and the service's per-message CPU.
CHUNK = 1024 * 1024
MAX_FIELD = 1024 * 1024  # a description may be long, but not this long


def _presented_token(request: web.Request) -> str:
    """The API token of Basic `__token__` or Bearer auth. Raises Forbidden for another Basic
    username or a token that is not UTF-8, NotLoggedIn without credentials."""
    credentials = basic_credentials(request)
    if credentials is not None:
        username, password = credentials
        if username != "__token__":
            raise Forbidden(
                "Username/password authentication is not supported. "
                "Use an API token with the username __token__."
            )
        return readable_token(password)
    token = bearer_token(request)
    if not token:
        raise NotLoggedIn("Authentication is required: use __token__ as the username and an API token as the password.")
    return readable_token(token)


def _disposition(part: BodyPartReader) -> tuple[str | None, str | None]:
    """The part's field name and file name from one parse of its Content-Disposition header
    (aiohttp parses it once for `part.name` and again for `part.filename`; with twine's twenty-odd
    fields that parsing was a quarter of the gateway's CPU per upload)."""
    _, params = parse_content_disposition(part.headers.get(hdrs.CONTENT_DISPOSITION))
    return content_disposition_filename(params, "name"), content_disposition_filename(params, "filename")


async def _read_header(request: web.Request, reader) -> tuple[uploads_pb2.UploadHeader, BodyPartReader]:
    fields: dict[str, list[str]] = {}
    file_fields: list[str] = []
    while (part := await reader.next()) is not None:
        name, filename = _disposition(part)
        if filename is not None and name == "content":
            header = uploads_pb2.UploadHeader(filename=filename, file_fields=file_fields)
            header.fields.extend(uploads_pb2.FormField(name=k, values=v) for k, v in fields.items())
            return header, part
        if filename is not None:
            file_fields.append(name or "")
            await part.release()
            continue
        raw = await part.read(decode=True)
        if len(raw) > MAX_FIELD:
            raise BadRequest(f"The form field '{name}' is too large.")
        fields.setdefault(name or "", []).append(raw.decode("utf-8", "replace"))
    raise BadRequest("Upload payload does not have a file.")


async def _write_body(call, header: uploads_pb2.UploadHeader, part: BodyPartReader) -> None:
    """Writes the header and then the file's chunks to the Upload call. A client that goes away
    mid-body cancels the call, so the uploads service drops the partial file."""
    try:
        await call.write(uploads_pb2.UploadRequest(header=header))
        while chunk := await part.read_chunk(CHUNK):
            await call.write(uploads_pb2.UploadRequest(chunk=chunk))
        await call.done_writing()
    except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
        pass  # the call ended before the body did: its status says why
    except BaseException:
        call.cancel()
        raise


async def _stream(call, header: uploads_pb2.UploadHeader, part: BodyPartReader) -> uploads_pb2.UploadResponse:
    """The Upload call's answer, while the body streams into it. A service that answers early
    (a refusal, or a crash) stops the reading at once instead of waiting for the rest of the body."""
    writer = asyncio.create_task(_write_body(call, header, part))
    try:
        return await call
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


@routes.post("/legacy/")
async def upload(request: web.Request) -> web.Response:
    """Accepts one distribution file (twine's `file_upload`)."""
    token = _presented_token(request)
    if not request.content_type.startswith("multipart/"):
        raise BadRequest("The upload must be a multipart/form-data request.")
    header, content = await _read_header(request, await request.multipart())
    header.token = token
    header.context.CopyFrom(request_context(request))
    answer = await _stream(request.app[CLIENTS].uploads.Upload(timeout=3600), header, content)
    return web.Response(text=f"OK: {answer.filename} ({answer.outcome})\n")
