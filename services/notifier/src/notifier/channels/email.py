"""Email: SMTP through aiosmtplib, or .eml files in an outbox folder when no
SMTP server is configured (local runs)."""

from __future__ import annotations

import asyncio
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib

from notifier.channels import DeliveryFailed
from notifier.rendering import Notice, one_line


def build_email(notice: Notice, to: str, sender: str) -> EmailMessage:
    """Headers go through the email library, which refuses CR/LF in any value."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = one_line(notice.subject, 200)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="notifier.local")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notice.text)
    message.add_alternative(notice.html, subtype="html")
    return message


class SmtpEmail:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 15.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        message = build_email(notice, address, self._sender)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username or None,
                password=self._password or None,
                start_tls=self._starttls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}") from exc
        return str(message["Message-ID"])


class OutboxEmail:
    """Writes each email as an .eml file, so the stack runs without a mail server."""

    def __init__(self, folder: Path, sender: str) -> None:
        self._folder, self._sender = folder, sender

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        message = build_email(notice, address, self._sender)
        name = f"{uuid.uuid4().hex}.eml"
        try:
            await asyncio.to_thread(self._write, name, message.as_bytes())
        except OSError as exc:
            raise DeliveryFailed(f"outbox: {exc.strerror}") from exc
        return str(message["Message-ID"])

    def _write(self, name: str, data: bytes) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        temp = self._folder / f".{name}.tmp"
        temp.write_bytes(data)
        temp.rename(self._folder / name)  # readers never see half a file
