"""Email: SMTP through aiosmtplib, or .eml files in an outbox folder when no
SMTP server is configured (local runs).

SMTP sessions are kept open and reused from a small bounded pool: a new
session per email (connect, EHLO, optional STARTTLS and login, QUIT) cost
more than the email itself. A pooled session that the server has closed (idle
timeout, restart) is noticed before use, or by a NOOP after a quiet spell, and
replaced; a send that finds its reused session dead is tried once more on a
fresh one. Every other failure is a `DeliveryFailed` as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import aiosmtplib

from notifier.channels import DeliveryFailed
from notifier.channels.mime import compose, message_id_for
from notifier.rendering import Notice, one_line

# A session idle longer than this is checked with a NOOP before it carries mail.
IDLE_CHECK_SECONDS = 10.0
# Sessions idle longer than this are closed rather than reused (servers commonly
# drop idle clients after a few minutes; RFC 5321 asks them to wait 5).
MAX_IDLE_SECONDS = 120.0

_DEAD_SESSION = (aiosmtplib.SMTPServerDisconnected, ConnectionError)


def build_email(notice: Notice, to: str, sender: str) -> EmailMessage:
    """The general path, for what `mime.compose` does not take (an address that
    needs SMTPUTF8, say): rare, so the email library builds it all. Headers go
    through it too, and it refuses CR/LF in any value."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = one_line(notice.subject, 200)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id_for(notice, to)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notice.text)
    message.add_alternative(notice.html, subtype="html")
    return message


async def _transaction(client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """One mail transaction (MAIL, RCPT, DATA) for an envelope `mime.compose`
    has already parsed and checked. aiosmtplib's `sendmail` parses each address
    four more times, ~3% of the notifier's CPU per email (bench/RESULTS.md)."""
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()  # a server without ESMTP
    size = [b"SIZE=%d" % len(data)] if client.supports_extension("size") else []
    try:
        reply = await client.execute_command(b"MAIL", b"FROM:<%s>" % sender.encode(), *size)
        if reply.code != 250:
            raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
        reply = await client.execute_command(b"RCPT", b"TO:<%s>" % recipient.encode())
        if reply.code not in (250, 251):
            refused = aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)
            raise aiosmtplib.SMTPRecipientsRefused([refused])
        await client.data(data)
    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
        # As sendmail does: the session stays usable for the next email.
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await client.rset()
        raise


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
        pool_size: int = 4,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout
        self._local_hostname: str | None = None  # the EHLO name: looked up once, then reused
        self._slots = asyncio.Semaphore(pool_size)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # (session, idle since)
        self._closed = False

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        composed = compose(notice, address, self._sender)
        if composed is not None:
            data, message_id = composed.data, composed.message_id

            def transmit(client: aiosmtplib.SMTP) -> Awaitable[object]:
                return _transaction(client, composed.sender, composed.recipient, data)
        else:  # an address that needs SMTPUTF8: the email package handles it
            message = build_email(notice, address, self._sender)
            message_id = str(message["Message-ID"])

            def transmit(client: aiosmtplib.SMTP) -> Awaitable[object]:
                return client.send_message(message)

        try:
            async with self._slots:
                await self._deliver(transmit)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # The reply code only: the refusal names the address, which logs must not.
            codes = sorted({refused.code for refused in exc.recipients})
            raise DeliveryFailed(
                f"recipient refused: {' '.join(map(str, codes))}",
                permanent=all(code >= 500 for code in codes),  # 4xx: try again later
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}") from exc
        return message_id

    async def close(self) -> None:
        """QUIT every idle session; sessions in use are closed when handed back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await self._quit(client)

    async def _deliver(self, transmit: Callable[[aiosmtplib.SMTP], Awaitable[object]]) -> None:
        client, reused = await self._session()
        try:
            try:
                await transmit(client)
            except _DEAD_SESSION:
                if not reused:
                    raise
                # The server closed a pooled session (idle timeout, restart)
                # under us: once more on a fresh one.
                self._discard(client)
                client = await self._connect()
                await transmit(client)
        except aiosmtplib.SMTPRecipientsRefused:
            self._release(client)  # the session itself is fine (the envelope was reset)
            raise
        except BaseException:
            self._discard(client)  # unknown state: never hand it to the next email
            raise
        self._release(client)

    async def _session(self) -> tuple[aiosmtplib.SMTP, bool]:
        """A live pooled session (True) or a new one (False)."""
        now = time.monotonic()
        while self._idle:
            client, since = self._idle.pop()  # the most recently used: least likely dropped
            if not client.is_connected or now - since > MAX_IDLE_SECONDS:
                self._discard(client)
                continue
            if now - since > IDLE_CHECK_SECONDS:
                try:
                    await client.noop()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    self._discard(client)
                    continue
            return client, True
        return await self._connect(), False

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username or None,
            password=self._password or None,
            start_tls=self._starttls,
            timeout=self._timeout,
            local_hostname=self._local_hostname,
        )
        await client.connect()
        self._local_hostname = client.local_hostname
        return client

    def _release(self, client: aiosmtplib.SMTP) -> None:
        if self._closed or not client.is_connected:
            self._discard(client)
        else:
            self._idle.append((client, time.monotonic()))

    def _discard(self, client: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            client.close()

    async def _quit(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.quit(timeout=min(self._timeout, 2.0))
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            pass
        finally:
            self._discard(client)


class OutboxEmail:
    """Writes each email as an .eml file, so the stack runs without a mail server."""

    def __init__(self, folder: Path, sender: str) -> None:
        self._folder, self._sender = folder, sender

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        composed = compose(notice, address, self._sender)
        if composed is not None:
            data, message_id = composed.data, composed.message_id
        else:
            message = build_email(notice, address, self._sender)
            data, message_id = message.as_bytes(), str(message["Message-ID"])
        name = f"{uuid.uuid4().hex}.eml"
        try:
            await asyncio.to_thread(self._write, name, data)
        except OSError as exc:
            raise DeliveryFailed(f"outbox: {exc.strerror}") from exc
        return message_id

    def _write(self, name: str, data: bytes) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        temp = self._folder / f".{name}.tmp"
        temp.write_bytes(data)
        temp.rename(self._folder / name)  # readers never see half a file
