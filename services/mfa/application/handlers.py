"""Use cases of the mfa service: one small async function per command or query."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import repository
from services.mfa.domain import model


@dataclass(frozen=True)
class Dependencies:
    units: UnitOfWorkFactory


async def list_methods(deps: Dependencies, request: mfa_pb2.ListMethodsRequest) -> mfa_pb2.ListMethodsResponse:
    """The second-factor methods the user has enrolled (empty when none). Raises UserRequired."""
    model.check_user_id(request.user_id)
    async with deps.units() as unit:
        methods = await repository.methods_of(unit.connection, request.user_id)
    return mfa_pb2.ListMethodsResponse(methods=model.enrolled_methods(methods))
