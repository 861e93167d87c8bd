"""`python -m gatehouse.mail.sink --port P --directory D`: an SMTP server that keeps each
message it receives as an .eml file in D (the default mail transport: nothing leaves the machine)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
import uuid
from pathlib import Path

from aiosmtpd.smtp import SMTP


class EmlWriter:
    """aiosmtpd handler: one file per message, written atomically."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(envelope.original_content or envelope.content)
        os.replace(partial, self.directory / name)
        return "250 Message accepted for delivery"


async def serve(port: int, directory: Path) -> None:
    loop = asyncio.get_running_loop()
    handler = EmlWriter(directory)
    server = await loop.create_server(lambda: SMTP(handler, hostname="gatehouse-mail-sink"), "127.0.0.1", port)
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.directory))


if __name__ == "__main__":
    main()
