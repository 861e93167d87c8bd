"""/api/v1/account/emails: the session user's addresses (one primary); identity decides."""

from __future__ import annotations

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gateway.auth import request_context, session_caller
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS

routes = web.RouteTableDef()


def email_json(address: identity_pb2.EmailAddress) -> dict:
    return {"email": address.email, "verified": address.verified, "primary": address.primary}


@routes.get("/api/v1/account/emails")
async def list_emails(request: web.Request) -> web.Response:
    """The addresses of the account, the primary first."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].identity.ListEmails(
        identity_pb2.ListEmailsRequest(session_token=caller.session_token, context=request_context(request)), timeout=10
    )
    return web.json_response({"emails": [email_json(address) for address in answer.emails]})


@routes.post("/api/v1/account/emails")
async def add_email(request: web.Request) -> web.Response:
    """Adds an address (unverified) and mails it a verification link: 201."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].identity.AddEmail(
        identity_pb2.AddEmailRequest(session_token=caller.session_token, email=require_string(body, "email", 254),
                                     context=request_context(request)),
        timeout=15,
    )
    return web.json_response(email_json(answer.email), status=201)


@routes.delete("/api/v1/account/emails/{email}")
async def remove_email(request: web.Request) -> web.Response:
    """Removes a non-primary address."""
    caller = await session_caller(request)
    await request.app[CLIENTS].identity.RemoveEmail(
        identity_pb2.RemoveEmailRequest(session_token=caller.session_token, email=request.match_info["email"][:254],
                                        context=request_context(request)),
        timeout=10,
    )
    return web.json_response({"removed": True})


@routes.post("/api/v1/account/emails/primary")
async def set_primary_email(request: web.Request) -> web.Response:
    """Makes a verified address primary; the old primary address is mailed about it."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].identity.SetPrimaryEmail(
        identity_pb2.SetPrimaryEmailRequest(session_token=caller.session_token, email=require_string(body, "email", 254),
                                            context=request_context(request)),
        timeout=10,
    )
    return web.json_response({"primary": answer.user.email})
