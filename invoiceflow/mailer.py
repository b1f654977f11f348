"""SMTP delivery with aiosmtplib; without INVOICEFLOW_SMTP_URL, mail is logged instead."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from invoiceflow.admission import step_out
from invoiceflow.core.effects import Mail
from invoiceflow.core.errors import UpstreamError

log = logging.getLogger("invoiceflow.mail")


class SmtpMailer:
    """``smtp://user:pass@host:port`` (STARTTLS when offered) or ``smtps://`` (TLS)."""

    def __init__(self, url: str | None, sender: str, *, timeout: float = 10.0) -> None:
        self.url = urlsplit(url) if url else None
        self.sender = sender
        self.timeout = timeout

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        for attachment in mail.attachments:
            maintype, _, subtype = attachment.media_type.partition("/")
            message.add_attachment(
                attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        return message

    async def send(self, mail: Mail) -> str:
        if self.url is None:
            log.info("mail not sent (no SMTP configured): to=%s subject=%r", mail.to, mail.subject)
            return "logged"
        url = self.url
        step_out()  # a mail server may take seconds: the next request need not wait for it
        try:
            await aiosmtplib.send(
                self.message(mail),
                hostname=url.hostname or "localhost",
                port=url.port or (465 if url.scheme == "smtps" else 25),
                username=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
                use_tls=url.scheme == "smtps",
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.warning("mail to %s failed: %s", mail.to, exc.__class__.__name__)
            raise UpstreamError(f"The mail server did not accept the message: {exc}") from exc
        return "sent"
