"""The audit service's error tree."""

from gatehouse.errors import GatehouseError


class AuditError(GatehouseError):
    code = "audit_error"


class NotAllowedToReadLog(AuditError):
    code = "audit_forbidden"


class InvalidCursor(AuditError):
    code = "invalid_cursor"


class InvalidFilter(AuditError):
    code = "invalid_filter"


class AccessCheckUnavailable(AuditError):
    """The uploads service could not say whether a project log may be read."""

    code = "access_check_unavailable"


class ReplayTimedOut(AuditError):
    """A rebuild's replay did not catch up with the stream in time (it goes on in the background)."""

    code = "replay_timed_out"


class UndecodablePayload(AuditError):
    """An event of a known type whose payload does not parse: it is parked, not projected."""

    code = "undecodable_payload"


class PredecessorNotProjected(AuditError):
    """An event whose stream's previous event has not been projected yet: it is redelivered
    later rather than judged a chain break (it may simply have arrived first)."""

    code = "predecessor_not_projected"
