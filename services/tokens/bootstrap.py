"""The tokens service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

from pathlib import Path

from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from gatehouse.tokens.v1 import tokens_pb2_grpc
from services.tokens.adapters.crypto import RootKeyCipher
from services.tokens.adapters.disclosure_keys import DisclosureKeys
from gatehouse.grpc_runtime.channels import open_channel
from services.tokens.adapters.accounts_client import GrpcAccountDirectory
from services.tokens.adapters.projects_client import GrpcProjectDirectory
from services.tokens.adapters.hot_path import UseRecorder, VerifiedTokens
from services.tokens.adapters.macaroons import MacaroonCodec
from services.tokens.adapters.tables import metadata, store
from services.tokens.application.handlers import Dependencies
from services.tokens.entrypoints.grpc_server import STATUS_OF_ERROR, TokensServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
# How long a verified token stays in memory: a revocation made through another replica of this
# service takes at most this long to reach this one (in this process it is immediate).
VERIFIED_TOKEN_SECONDS = 2.0


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the tokens process from settings (database migrated, root-key cipher keyed with
    the "tokens" secret, macaroons located at the site's origin)."""
    runtime = build_runtime(settings, "tokens", metadata, store, MIGRATIONS)
    uploads_channel = open_channel(settings, "uploads")
    identity_channel = open_channel(settings, "identity")
    deps = Dependencies(
        units=runtime.units,
        cipher=RootKeyCipher(settings.secret("tokens")),
        codec=MacaroonCodec(settings.token_prefix, settings.origin),
        max_lifetime_s=settings.token_max_lifetime_days * 86400 if settings.token_max_lifetime_days else None,
        disclosure_keys=DisclosureKeys(settings.disclosure_keys_file),
        cache=VerifiedTokens(ttl_seconds=VERIFIED_TOKEN_SECONDS),
        uses=UseRecorder(runtime.engine),
        projects=GrpcProjectDirectory(uploads_channel),
        accounts=GrpcAccountDirectory(identity_channel),
    )

    def register(server):
        tokens_pb2_grpc.add_TokensServiceServicer_to_server(TokensServicer(deps), server)

    return ServiceProcess(
        name="gatehouse.tokens.v1.TokensService",
        address=settings.address_of("tokens"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[runtime.relay.run, deps.uses.run],
        on_stop=[deps.uses.flush, uploads_channel.close, identity_channel.close, runtime.close],
    )
