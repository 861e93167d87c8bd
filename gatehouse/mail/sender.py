"""The mail port and its SMTP adapter."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import urlsplit

import structlog

from gatehouse.settings import Settings

log = structlog.get_logger(__name__)


class MailError(Exception):
    """The SMTP server did not take the message."""


class Mailer(Protocol):
    async def send(self, to: str, subject: str, text: str) -> None:
        """Sends a plain-text message. Raises MailError when the server refuses it."""


class SmtpMailer:
    """Plain SMTP (the embedded sink, or a relay on the local network)."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0):
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    def _message(self, to: str, subject: str, text: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or "gatehouse.local")
        message.set_content(text)
        return message

    def _deliver(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as connection:
                connection.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"mail to {message['To']} not accepted: {error}") from error

    async def send(self, to: str, subject: str, text: str) -> None:
        message = self._message(to, subject, text)
        await asyncio.to_thread(self._deliver, message)
        log.info("mail.sent", subject=subject, message_id=message["Message-ID"])


def mailer_for(settings: Settings) -> SmtpMailer:
    """The mailer for GATEHOUSE_SMTP_URL (smtp://host:port); the supervisor points it at the sink."""
    parts = urlsplit(settings.smtp_url or "smtp://127.0.0.1:25")
    return SmtpMailer(parts.hostname or "127.0.0.1", parts.port or 25, settings.mail_from)
