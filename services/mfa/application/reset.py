"""Removing every second factor of a user: the end of identity's account recovery (the user
lost them all, proved who they are by e-mail and waited), never a user's own request."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import mfa_pb2 as events
from gatehouse.eventstore.store import actor_from
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import repository
from services.mfa.adapters.tables import (
    pending_totp,
    recovery_codes,
    second_factors,
    security_keys,
    totp_secrets,
    webauthn_challenges,
)
from services.mfa.application.handlers import Dependencies, load_state, subjects_of
from services.mfa.domain import model

USER_TABLES = (second_factors, totp_secrets, pending_totp, recovery_codes, security_keys, webauthn_challenges)


def removal_events(user_id: str, factors: list, has_codes: bool, reason: str) -> list:
    """One SecondFactorRemoved per factor row, and one for the recovery codes if any are stored."""
    removed = [
        events.SecondFactorRemoved(user_id=user_id, factor_id=row.factor_id, method=row.method, label=row.label,
                                   reason=reason)
        for row in factors
    ]
    if has_codes:
        removed.append(events.SecondFactorRemoved(user_id=user_id, method="recovery_code", label="Recovery codes",
                                                  reason=reason))
    return removed


async def reset_second_factors(deps: Dependencies, request: mfa_pb2.ResetSecondFactorsRequest) -> int:
    """Removes the user's TOTP app, security keys, recovery codes and pending enrolment; answers
    how many factors were removed (0 when there were none: idempotent). Raises UserRequired."""
    model.check_user_id(request.user_id)
    principal = common_pb2.Principal(user_id=request.user_id)

    async def handle(unit):
        connection = unit.connection
        factors = list(await connection.execute(
            sa.select(second_factors).where(second_factors.c.user_id == request.user_id)
        ))
        has_codes = bool(await repository.recovery_code_rows(connection, request.user_id))
        removed = removal_events(request.user_id, factors, has_codes, request.reason or "account_recovery")
        if removed:
            state = await load_state(unit, request.user_id)
            await unit.record(model.stream_of(request.user_id), state.version, removed,
                              actor_from(request.context), subjects_of(principal))
        for table in USER_TABLES:
            await connection.execute(sa.delete(table).where(table.c.user_id == request.user_id))
        return len(removed)

    return await deps.units.run(handle)
