"""The NATS connection and the JetStream stream every service publishes domain events to."""

from __future__ import annotations

import asyncio

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from gatehouse.settings import nats_servers

SUBJECT_ROOT = "gatehouse.events"
log = structlog.get_logger(__name__)


def subject_for(service: str, event_type: str) -> str:
    """gatehouse.events.<service>.<EventType>"""
    return f"{SUBJECT_ROOT}.{service}.{event_type}"


async def connect(url: str, name: str) -> Client:
    """Connects to NATS and keeps reconnecting for ever; waits while the server is down.

    `url` may list several servers of a cluster, comma-separated: the client picks one and
    moves to another when it goes away.
    """
    delay = 0.2
    while True:
        try:
            return await nats.connect(
                nats_servers(url),
                name=name,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
            )
        except (OSError, nats.errors.Error, asyncio.TimeoutError) as error:
            log.warning("nats.connect_failed", url=url, error=str(error), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def ensure_stream(js: JetStreamContext, name: str, replicas: int = 1) -> None:
    """Creates the event stream, keeping every event (the audit log is rebuilt from it)."""
    config = StreamConfig(
        name=name,
        subjects=[f"{SUBJECT_ROOT}.>"],
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=120.0,
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        # Exists with different settings (e.g. replicas changed): update in place.
        await js.update_stream(config)
