"""The embedded mail sink and the SMTP mailer, end to end on loopback."""

import asyncio
import email

from gatehouse.embedded_nats import free_port
from gatehouse.mail import SmtpMailer
from gatehouse.mail.sink import serve


async def test_a_sent_message_lands_as_an_eml_file(tmp_path):
    port = free_port()
    server = asyncio.create_task(serve(port, tmp_path))
    await asyncio.sleep(0.2)
    try:
        await SmtpMailer("127.0.0.1", port, "Gatehouse <gatehouse@localhost>").send(
            "alice@example.org", "New API token", "An API token named 'ci' was created."
        )
    finally:
        server.cancel()
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes())
    assert message["To"] == "alice@example.org" and message["Subject"] == "New API token"
    assert "named 'ci'" in message.get_payload()
