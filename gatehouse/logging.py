"""structlog set-up shared by every process: JSON lines on standard error (GATEHOUSE_LOG_FORMAT=json,
the default unless standard error is a terminal) or readable lines (GATEHOUSE_LOG_FORMAT=console)."""

from __future__ import annotations

import logging
import sys

import structlog

# Keys whose values must never reach a log line, whatever a caller binds.
_SECRET_KEYS = frozenset({"password", "token", "secret", "session_token", "code", "authorization"})


def _drop_secrets(_logger, _method, event_dict):
    for key in _SECRET_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


def _renderer(log_format: str):
    chosen = log_format or ("console" if sys.stderr.isatty() else "json")
    if chosen == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer()


def configure(service: str, level: str = "INFO", log_format: str = "") -> structlog.stdlib.BoundLogger:
    """Configures structlog (JSON lines unless `log_format` is "console", or unset on a terminal)
    and returns a logger bound to `service`. Every line carries the contextvars bound at the
    entry point (request_id, rpc, actor ids)."""
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_secrets,
            structlog.processors.format_exc_info,
            _renderer(log_format),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    return structlog.get_logger(service=service)
