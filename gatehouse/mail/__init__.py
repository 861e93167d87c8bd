"""Sending mail: through the configured SMTP server, or the embedded sink by default.

    from gatehouse.mail import mailer_for
    await mailer_for(settings).send("alice@example.org", "Subject", "Body text")
"""

from gatehouse.mail.sender import Mailer, SmtpMailer, mailer_for

__all__ = ["Mailer", "SmtpMailer", "mailer_for"]
