"""A real mfa database for the component tests: SQLite in the test's directory, and PostgreSQL
too when GATEHOUSE_TEST_DATABASE_URL is set (as .ci/run does), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import load
from services.mfa.adapters.sealing import SecretSealer
from services.mfa.adapters.tables import metadata, store
from services.mfa.adapters.webauthn_ceremonies import RelyingParty
from services.mfa.application.handlers import Dependencies
from services.mfa.bootstrap import MIGRATIONS
from services.mfa.domain import rate_limits

ORIGIN = "https://index.example"
CONTEXT = common_pb2.RequestContext(ip_address="192.0.2.7")


class VerifiedAccounts:
    async def email_verified(self, user_id):
        return True


@dataclass
class Clock:
    """A settable clock for Dependencies.clock (seconds)."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Service:
    deps: Dependencies
    clock: Clock = field(default_factory=Clock)


def _database_urls() -> list[str]:
    base = os.environ.get("GATEHOUSE_TEST_DATABASE_URL", "")
    return ["sqlite", f"{base}_{uuid.uuid4().hex[:8]}"] if base else ["sqlite"]


@pytest.fixture(params=_database_urls(), ids=lambda url: url.split(":")[0])
async def service(request, tmp_path):
    """Dependencies on a migrated database, a settable clock, limits "user:5/300,ip:10/300"."""
    env = {"GATEHOUSE_DATA": str(tmp_path)}
    if request.param != "sqlite":
        env["GATEHOUSE_DATABASE_URL"] = request.param
    settings = load(env)
    runtime = build_runtime(settings, "mfa", metadata, store, MIGRATIONS)
    clock = Clock()
    deps = Dependencies(
        units=runtime.units, accounts=VerifiedAccounts(), sealer=SecretSealer(b"s" * 32), proof_key=b"k" * 32,
        address_key=b"a" * 32, limits=rate_limits.parse("user:5/300,ip:10/300"),
        relying_party=RelyingParty("index.example", ORIGIN), clock=clock,
    )
    yield Service(deps, clock)
    await runtime.close()
    if request.param != "sqlite":
        from tests.integration.harness import drop_postgres_databases

        drop_postgres_databases(request.param)
