"""The identity service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

from pathlib import Path

from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.identity.v1 import identity_pb2_grpc
from gatehouse.mail import mailer_for
from gatehouse.observability.metrics import LOGIN_FAILURES
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from services.identity.adapters.mfa_client import GrpcSecondFactors
from services.identity.adapters.breached_passwords import breached_password_checker
from services.identity.adapters.passwords import Argon2Passwords
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.adapters.tables import metadata, store
from services.identity.application.handlers import Dependencies
from services.identity.application.recovery_completion import RecoveryScheduler
from services.identity.domain.login_limits import LoginLimits
from services.identity.entrypoints.grpc_server import STATUS_OF_ERROR, IdentityServicer
from services.identity.entrypoints.notifications import Notifier

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the identity process from settings."""
    runtime = build_runtime(settings, "identity", metadata, store, MIGRATIONS)
    mfa_channel = open_channel(settings, "mfa")
    mailer = mailer_for(settings)
    notifier = Notifier(runtime, mailer, settings.origin)
    deps = Dependencies(
        units=runtime.units,
        passwords=Argon2Passwords(),
        session_tokens=SessionTokens(settings.secret("session")),
        second_factors=GrpcSecondFactors(mfa_channel),
        proof_key=settings.secret("second_factor_proof"),
        verification_tokens=SessionTokens(settings.secret("email_verification")),
        reset_tokens=SessionTokens(settings.secret("password_reset")),
        mailer=mailer,
        origin=settings.origin,
        breached_passwords=breached_password_checker(settings.breached_passwords_range_url),
        prohibited_usernames=settings.prohibited_usernames,
        new_device_check=settings.new_device_check,
        new_device_tokens=SessionTokens(settings.secret("new_device_login")),
        recovery_tokens=SessionTokens(settings.secret("account_recovery")),
        recovery_wait_us=settings.recovery_wait_seconds * 1_000_000,
        login_limits=LoginLimits(
            per_user=settings.login_failures_per_user, per_ip=settings.login_failures_per_ip,
            global_=settings.login_failures_global, window_seconds=settings.login_window_seconds,
        ),
    )

    scheduler = RecoveryScheduler(deps, settings.recovery_check_seconds)

    def register(server):
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(IdentityServicer(deps), server)

    async def close_channel():
        await mfa_channel.close()

    return ServiceProcess(
        name="gatehouse.identity.v1.IdentityService",
        address=settings.address_of("identity"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[runtime.relay.run, notifier.run, scheduler.run],
        on_stop=[scheduler.stop, notifier.stop, runtime.close, close_channel],
        refusals={"Login": LOGIN_FAILURES, "LoginWithPasskey": LOGIN_FAILURES},
    )
