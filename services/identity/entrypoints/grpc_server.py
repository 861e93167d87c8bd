"""The IdentityService gRPC API; each method delegates to one handler."""

from __future__ import annotations

import grpc

from gatehouse.identity.v1 import identity_pb2, identity_pb2_grpc
from services.identity.application import (
    account_lock,
    email_verification,
    emails,
    handlers,
    new_device,
    password_change,
    password_reset,
    reauthentication,
    recovery,
    second_factor,
)
from services.identity.domain import errors

# The one place identity errors become gRPC statuses.
STATUS_OF_ERROR = {
    errors.IdentityError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.UsernameTaken: grpc.StatusCode.ALREADY_EXISTS,
    errors.EmailTaken: grpc.StatusCode.ALREADY_EXISTS,
    errors.UserNotFound: grpc.StatusCode.NOT_FOUND,
    errors.InvalidCredentials: grpc.StatusCode.UNAUTHENTICATED,
    errors.SessionInvalid: grpc.StatusCode.UNAUTHENTICATED,
    errors.AccountLocked: grpc.StatusCode.PERMISSION_DENIED,
    errors.WrongPassword: grpc.StatusCode.PERMISSION_DENIED,
    errors.SecurityKeyRejected: grpc.StatusCode.PERMISSION_DENIED,
    errors.EmailAlreadyVerified: grpc.StatusCode.FAILED_PRECONDITION,
    errors.AccountStateUnchanged: grpc.StatusCode.FAILED_PRECONDITION,
    errors.OperatorRequired: grpc.StatusCode.PERMISSION_DENIED,
    errors.RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.RecoveryLinkInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.EmailNotFound: grpc.StatusCode.NOT_FOUND,
    errors.EmailIsPrimary: grpc.StatusCode.FAILED_PRECONDITION,
    errors.EmailNotVerified: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NewDeviceIpMismatch: grpc.StatusCode.PERMISSION_DENIED,
    errors.LoginNotHeld: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NoVerifiedEmail: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RecoveryInProgress: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NoRecoveryInProgress: grpc.StatusCode.FAILED_PRECONDITION,
}


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, deps: handlers.Dependencies):
        self._deps = deps

    async def CreateUser(self, request, context):
        """Creates a user (see handlers.create_user for the errors)."""
        user = await handlers.create_user(self._deps, request)
        return identity_pb2.CreateUserResponse(user=user)

    async def GetUser(self, request, context):
        """Looks a user up; NOT_FOUND when there is none."""
        return identity_pb2.GetUserResponse(user=await handlers.get_user(self._deps, request))

    async def Login(self, request, context):
        """Password step of a login; UNAUTHENTICATED on a wrong username or password,
        RESOURCE_EXHAUSTED (retry-after trailer) after too many recent failures."""
        return await handlers.login(self._deps, request)

    async def GetSession(self, request, context):
        """Resolves a cookie value; UNAUTHENTICATED when it is not a live session."""
        return identity_pb2.GetSessionResponse(session=await handlers.get_session(self._deps, request))

    async def Logout(self, request, context):
        """Ends a session."""
        await handlers.logout(self._deps, request)
        return identity_pb2.LogoutResponse()

    async def CompleteSecondFactor(self, request, context):
        """Marks the session verified after mfa's proof; UNAUTHENTICATED when it does not check out."""
        session = await second_factor.complete_second_factor(self._deps, request)
        return identity_pb2.CompleteSecondFactorResponse(session=session)

    async def LoginWithPasskey(self, request, context):
        """Passkey sign-in; UNAUTHENTICATED for a bad proof, PERMISSION_DENIED for a locked account."""
        return await second_factor.login_with_passkey(self._deps, request)

    async def VerifyEmail(self, request, context):
        """Confirms the address of a mailed link; INVALID_ARGUMENT for a bad, used or expired link."""
        user, email = await email_verification.verify(self._deps, request)
        return identity_pb2.VerifyEmailResponse(user=user, email=email)

    async def ResendEmailVerification(self, request, context):
        """Mails a new link; FAILED_PRECONDITION when verified, RESOURCE_EXHAUSTED (retry-after) when limited."""
        email = await email_verification.resend(self._deps, request)
        return identity_pb2.ResendEmailVerificationResponse(email=email)

    async def ChangePassword(self, request, context):
        """Changes the password, ending other sessions; PERMISSION_DENIED for a wrong current one."""
        ended = await password_change.change_password(self._deps, request)
        return identity_pb2.ChangePasswordResponse(sessions_ended=ended)

    async def RequestPasswordReset(self, request, context):
        """Mails a reset link if the account exists; RESOURCE_EXHAUSTED (retry-after) per client IP."""
        await password_reset.request_reset(self._deps, request)
        return identity_pb2.RequestPasswordResetResponse()

    async def ResetPassword(self, request, context):
        """Sets a new password with a mailed link, ending every session; INVALID_ARGUMENT for a bad link."""
        ended = await password_reset.reset(self._deps, request)
        return identity_pb2.ResetPasswordResponse(sessions_ended=ended)

    async def ListEmails(self, request, context):
        """The session user's addresses, primary first."""
        return identity_pb2.ListEmailsResponse(emails=await emails.list_emails(self._deps, request))

    async def AddEmail(self, request, context):
        """Adds an address and mails it a verification link; ALREADY_EXISTS when taken."""
        return identity_pb2.AddEmailResponse(email=await emails.add_email(self._deps, request))

    async def RemoveEmail(self, request, context):
        """Removes a non-primary address; FAILED_PRECONDITION for the primary one."""
        await emails.remove_email(self._deps, request)
        return identity_pb2.RemoveEmailResponse()

    async def SetPrimaryEmail(self, request, context):
        """Makes a verified address primary; FAILED_PRECONDITION when it is not verified."""
        return identity_pb2.SetPrimaryEmailResponse(user=await emails.set_primary_email(self._deps, request))

    async def Reauthenticate(self, request, context):
        """Re-checks the password for sudo mode; PERMISSION_DENIED for a wrong one (a failed login),
        RESOURCE_EXHAUSTED (retry-after) when login failures are limited, UNAUTHENTICATED without a session."""
        session = await reauthentication.reauthenticate(self._deps, request)
        return identity_pb2.ReauthenticateResponse(session=session)

    async def LockUser(self, request, context):
        """Operator: locks an account and ends its sessions; NOT_FOUND, FAILED_PRECONDITION when already locked."""
        return await account_lock.lock_user(self._deps, request)

    async def UnlockUser(self, request, context):
        """Operator: unlocks an account; NOT_FOUND, FAILED_PRECONDITION when it is not locked."""
        return await account_lock.unlock_user(self._deps, request)

    async def ConfirmNewDeviceLogin(self, request, context):
        """Releases a held login from its IP; INVALID_ARGUMENT for a bad link, PERMISSION_DENIED from another IP."""
        session = await new_device.confirm(self._deps, request)
        return identity_pb2.ConfirmNewDeviceLoginResponse(session=session)

    async def ResendNewDeviceLogin(self, request, context):
        """Mails a held login's link again; FAILED_PRECONDITION when not held, RESOURCE_EXHAUSTED when limited."""
        return identity_pb2.ResendNewDeviceLoginResponse(email=await new_device.resend(self._deps, request))

    async def StartRecovery(self, request, context):
        """Operator: starts account recovery; NOT_FOUND, FAILED_PRECONDITION (no verified address, in progress)."""
        return await recovery.start(self._deps, request)

    async def ConfirmRecovery(self, request, context):
        """The identity link: the waiting period starts; INVALID_ARGUMENT for a bad link."""
        return identity_pb2.ConfirmRecoveryResponse(recovery=await recovery.confirm(self._deps, request))

    async def CancelRecovery(self, request, context):
        """Cancels by link or session; INVALID_ARGUMENT for a bad link, FAILED_PRECONDITION when none."""
        return identity_pb2.CancelRecoveryResponse(recovery=await recovery.cancel(self._deps, request))

    async def GetRecovery(self, request, context):
        """The session user's recovery in progress; UNAUTHENTICATED without a session."""
        return identity_pb2.GetRecoveryResponse(recovery=await recovery.get(self._deps, request))
