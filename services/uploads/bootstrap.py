"""The uploads service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

import os
from pathlib import Path

import structlog

from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.observability.metrics import UPLOAD_REFUSALS
from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from gatehouse.uploads.v1 import uploads_pb2_grpc
from services.uploads.adapters.archives.limits import limits_from_environ
from services.uploads.adapters.second_factors import GrpcSecondFactors
from services.uploads.adapters.storage import LocalFileStore
from services.uploads.adapters.tables import metadata, store
from services.uploads.adapters.tokens_client import GrpcTokenVerifier
from services.uploads.application.handlers import Dependencies
from services.uploads.domain.content import DEFAULT_MAX_FILE_SIZE
from services.uploads.domain.roles import DEFAULT_INVITATION_DAYS
from services.uploads.domain.limits import UploadRules
from services.uploads.domain.names import fold_confusable
from services.uploads.entrypoints.grpc_server import STATUS_OF_ERROR, UploadsServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def max_file_size(environ: dict[str, str] | None = None) -> int:
    """GATEHOUSE_MAX_FILE_SIZE in bytes (default 100 MiB). Raises ValueError when not a number."""
    value = (os.environ if environ is None else environ).get("GATEHOUSE_MAX_FILE_SIZE", "")
    return int(value) if value.strip() else DEFAULT_MAX_FILE_SIZE


def invitation_days(environ: dict[str, str] | None = None) -> int:
    """GATEHOUSE_INVITATION_DAYS: how long a role invitation can be accepted (default 7).
    Raises ValueError when not a positive number."""
    value = (os.environ if environ is None else environ).get("GATEHOUSE_INVITATION_DAYS", "")
    days = int(value) if value.strip() else DEFAULT_INVITATION_DAYS
    if days < 1:
        raise ValueError("GATEHOUSE_INVITATION_DAYS must be at least 1")
    return days
def _int_setting(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name, "")
    return int(value) if value.strip() else default


def prohibited_project_names(environ: dict[str, str]) -> frozenset[str]:
    """GATEHOUSE_PROHIBITED_PROJECT_NAMES (comma-separated) and the names in the file
    GATEHOUSE_PROHIBITED_PROJECT_NAMES_FILE (one a line, `#` comments), folded.
    Raises OSError when the file cannot be read."""
    names = environ.get("GATEHOUSE_PROHIBITED_PROJECT_NAMES", "").split(",")
    if environ.get("GATEHOUSE_PROHIBITED_PROJECT_NAMES_FILE", "").strip():
        text = Path(environ["GATEHOUSE_PROHIBITED_PROJECT_NAMES_FILE"]).read_text(encoding="utf-8")
        names += [line.split("#", 1)[0] for line in text.splitlines()]
    return frozenset(fold_confusable(name.strip()) for name in names if name.strip())


def upload_rules(environ: dict[str, str] | None = None) -> UploadRules:
    """The project and file rules from the environment: GATEHOUSE_MAX_PROJECT_SIZE (bytes,
    default 10 GiB), the prohibited names, GATEHOUSE_PROJECTS_PER_USER_PER_HOUR (20),
    GATEHOUSE_PROJECTS_PER_IP_PER_HOUR (40), GATEHOUSE_RELEASE_OPEN_DAYS (14).
    Raises ValueError for a value that is not a number, OSError for an unreadable names file."""
    env = os.environ if environ is None else environ
    defaults = UploadRules()
    return UploadRules(
        max_project_size=_int_setting(env, "GATEHOUSE_MAX_PROJECT_SIZE", defaults.max_project_size),
        prohibited_project_names=prohibited_project_names(env),
        projects_per_user_per_hour=_int_setting(env, "GATEHOUSE_PROJECTS_PER_USER_PER_HOUR",
                                                defaults.projects_per_user_per_hour),
        projects_per_ip_per_hour=_int_setting(env, "GATEHOUSE_PROJECTS_PER_IP_PER_HOUR",
                                              defaults.projects_per_ip_per_hour),
        release_open_days=_int_setting(env, "GATEHOUSE_RELEASE_OPEN_DAYS", defaults.release_open_days),
    )


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the uploads process from settings."""
    runtime = build_runtime(settings, "uploads", metadata, store, MIGRATIONS)
    tokens_channel = open_channel(settings, "tokens")
    mfa_channel = open_channel(settings, "mfa")
    files = LocalFileStore(settings.data_dir / "files")
    # Uploads a killed process was receiving: never recorded, so never needed.
    swept = files.sweep_incoming()
    if swept:
        structlog.get_logger(__name__).info("uploads.incoming_swept", files=swept)
    deps = Dependencies(
        units=runtime.units,
        tokens=GrpcTokenVerifier(tokens_channel),
        files=files,
        origin=settings.origin,
        max_file_size=max_file_size(),
        second_factors=GrpcSecondFactors(mfa_channel),
        require_2fa=settings.require_2fa,
        reauth_minutes=settings.reauth_minutes,
        archive_limits=limits_from_environ(),
        invitation_days=invitation_days(),
        rules=upload_rules(),
    )

    def register(server):
        """Adds the uploads servicer to the gRPC server."""
        uploads_pb2_grpc.add_UploadsServiceServicer_to_server(UploadsServicer(deps), server)

    async def close_channel():
        """Closes the channels to the tokens and mfa services."""
        await tokens_channel.close()
        await mfa_channel.close()

    return ServiceProcess(
        name="gatehouse.uploads.v1.UploadsService",
        address=settings.address_of("uploads"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[runtime.relay.run],
        on_stop=[runtime.close, close_channel],
        refusals={"Upload": UPLOAD_REFUSALS},
    )
