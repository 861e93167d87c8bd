"""/api/v1/account/{recovery-codes,totp} (enrolment) and /api/v1/session/{totp,recovery-code}
(the second login step). The mfa service checks codes; identity marks the session."""

from __future__ import annotations

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.mfa.v1 import mfa_pb2
from gateway.auth import Caller, request_context, session_caller
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS

routes = web.RouteTableDef()
HELD_MESSAGE = (
    "Check your e-mail: this login comes from a new device, so we mailed you a link. Open it on this "
    "device (from the same IP address) within 15 minutes to finish logging in."
)
MAX_CODE = 64


async def _code_from_body(request: web.Request) -> str:
    return require_string(await read_json(request), "code", MAX_CODE)


@routes.get("/api/v1/account/two-factor")
async def methods(request: web.Request) -> web.Response:
    """The caller's enrolled second-factor methods."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].mfa.ListMethods(
        mfa_pb2.ListMethodsRequest(user_id=caller.principal.user_id), timeout=10
    )
    return web.json_response({"methods": list(answer.methods)})


@routes.post("/api/v1/account/recovery-codes")
async def generate_recovery_codes(request: web.Request) -> web.Response:
    """A new set of recovery codes, replacing the old one; shown in this answer only."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].mfa.GenerateRecoveryCodes(
        mfa_pb2.GenerateRecoveryCodesRequest(user=caller.principal, context=request_context(request)), timeout=30
    )
    return web.json_response({"codes": list(answer.codes)}, headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/account/recovery-codes/confirm")
async def confirm_recovery_codes(request: web.Request) -> web.Response:
    """Burns one code to prove the set was saved."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].mfa.ConfirmRecoveryCodes(
        mfa_pb2.ConfirmRecoveryCodesRequest(
            user=caller.principal, code=await _code_from_body(request), context=request_context(request)
        ),
        timeout=30,
    )
    return web.json_response({"confirmed": True, "remaining": answer.remaining})


@routes.post("/api/v1/account/totp")
async def begin_totp(request: web.Request) -> web.Response:
    """Starts TOTP enrolment: the secret, its otpauth:// URI and the QR code as SVG."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].mfa.BeginTotpEnrolment(
        mfa_pb2.BeginTotpEnrolmentRequest(user=caller.principal, context=request_context(request)), timeout=10
    )
    body = {"secret": answer.secret, "provisioning_uri": answer.provisioning_uri, "qr_svg": answer.qr_svg}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/account/totp/confirm")
async def confirm_totp(request: web.Request) -> web.Response:
    """Completes TOTP enrolment with a code from the app."""
    caller = await session_caller(request)
    await request.app[CLIENTS].mfa.ConfirmTotpEnrolment(
        mfa_pb2.ConfirmTotpEnrolmentRequest(
            user=caller.principal, code=await _code_from_body(request), context=request_context(request)
        ),
        timeout=10,
    )
    return web.json_response({"enabled": True, "method": "totp"})


@routes.delete("/api/v1/account/totp")
async def remove_totp(request: web.Request) -> web.Response:
    """Removes the authenticator app (refused when it is the last method and 2FA is required)."""
    caller = await session_caller(request)
    await request.app[CLIENTS].mfa.RemoveTotp(
        mfa_pb2.RemoveTotpRequest(user=caller.principal, context=request_context(request)), timeout=10
    )
    return web.json_response({"removed": True, "method": "totp"})


async def complete_second_step(request: web.Request, caller: Caller, method: str, code: str) -> dict:
    """Has mfa check the code and identity mark the session; the answer as JSON-ready dict.
    Raises grpc errors (UNAUTHENTICATED wrong code, RESOURCE_EXHAUSTED rate limited)."""
    clients = request.app[CLIENTS]
    verified = await clients.mfa.VerifySecondFactor(
        mfa_pb2.VerifySecondFactorRequest(
            user=caller.principal, method=method, code=code, session_id=caller.session.session_id,
            context=request_context(request),
        ),
        timeout=30,
    )
    answer = await clients.identity.CompleteSecondFactor(
        identity_pb2.CompleteSecondFactorRequest(
            session_token=caller.session_token, method=verified.method, label=verified.label,
            proof=verified.proof, issued_at_us=verified.issued_at_us, context=request_context(request),
        ),
        timeout=10,
    )
    return {
        "user": answer.session.user.username,
        "mfa_required": not answer.session.second_factor_verified,
        # New-device check: held until the link mailed to the user is opened from this IP.
        "new_device_confirmation_required": answer.session.new_device_confirmation_pending,
        "method": verified.method,
        "remaining_recovery_codes": verified.remaining_recovery_codes,
        "csrf_token": answer.session.csrf_token,
    }


@routes.post("/api/v1/session/totp")
async def session_totp(request: web.Request) -> web.Response:
    """Second login step with a code from the authenticator app."""
    caller = await session_caller(request)
    return _second_step_response(await complete_second_step(request, caller, "totp", await _code_from_body(request)))


def _second_step_response(answer: dict) -> web.Response:
    """200 when logged in; 202 when the new-device check holds the login (check your e-mail)."""
    if not answer["new_device_confirmation_required"]:
        return web.json_response(answer)
    answer["message"] = HELD_MESSAGE
    return web.json_response(answer, status=202)


@routes.post("/api/v1/session/recovery-code")
async def session_recovery_code(request: web.Request) -> web.Response:
    """Second login step with a recovery code (each works once)."""
    caller = await session_caller(request)
    code = await _code_from_body(request)
    return _second_step_response(await complete_second_step(request, caller, "recovery_code", code))


@routes.post("/api/v1/session/new-device/resend")
async def resend_new_device_link(request: web.Request) -> web.Response:
    """Mails a held login's confirmation link again (the previous link stops working): 429 with
    Retry-After within a minute of the last mail or after 3 mails."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].identity.ResendNewDeviceLogin(
        identity_pb2.ResendNewDeviceLoginRequest(session_token=caller.session_token, context=request_context(request)),
        timeout=10,
    )
    return web.json_response({"sent_to": answer.email}, status=202)
