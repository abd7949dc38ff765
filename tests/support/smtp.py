"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), that can be taken
down and brought back on the same port."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps every message it accepts, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    # (subject and plain body, message), made once on arrival: tests that look
    # up hundreds of ids would otherwise parse every message for every id.
    _searchable: list[tuple[str, EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self._searchable.append((f"{parsed['Subject']}\n{_plain(parsed)}", parsed))
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def about(self, text: str) -> list[EmailMessage]:
        """Messages whose subject or plain body mentions `text` (e.g. a submission id)."""
        return [message for searchable, message in list(self._searchable) if text in searchable]


def _plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def plain_part(message: EmailMessage) -> str:
    return _plain(message)


class SmtpServer:
    """Start, stop and restart a real SMTP server on one fixed port."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
