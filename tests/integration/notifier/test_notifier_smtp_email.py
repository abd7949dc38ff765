"""What a real SMTP server (aiosmtpd) receives from the email channel: the
directly written staff email, and the general path for addresses it does not take."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifier.channels import DeliveryFailed
from notifier.channels.email import SmtpEmail
from notifier.rendering import Notice
from tests.support.ports import free_port
from tests.support.smtp import Inbox, html_part, plain_part

pytestmark = pytest.mark.integration

NOTICE = Notice(
    subject="[urgent] Zoë fell — needs a call",
    text="Zoë wrote:\n.a line that starts with a dot\nplease call 555-0100\n",
    html="<p>Zoë wrote:</p>\n<p>please call</p>\n",
    short="short",
    spoken="spoken",
)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    received, port = Inbox(), free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield received, port
    controller.stop()


def channel(port: int) -> SmtpEmail:
    return SmtpEmail(
        host="127.0.0.1", port=port, sender="Inquiry alerts <alerts@example.org>", timeout=3.0
    )


async def test_the_staff_email_arrives_whole(inbox: tuple[Inbox, int]) -> None:
    received, port = inbox
    email = channel(port)
    message_id = await email.send("Programs <programs@example.org>", NOTICE, status_callback=None)
    await email.close()
    [message] = received.messages
    assert received.envelopes == [("alerts@example.org", ["programs@example.org"])]
    assert message["Message-ID"] == message_id
    assert message["Subject"] == NOTICE.subject
    assert message["To"] == "Programs <programs@example.org>"
    assert plain_part(message).replace("\r\n", "\n") == NOTICE.text
    assert html_part(message).replace("\r\n", "\n") == NOTICE.html


async def test_an_address_that_needs_smtputf8_still_gets_its_email(
    inbox: tuple[Inbox, int],
) -> None:
    received, port = inbox
    email = channel(port)
    message_id = await email.send("josé@example.org", NOTICE, status_callback=None)
    await email.close()
    [message] = received.messages
    assert received.envelopes == [("alerts@example.org", ["josé@example.org"])]
    assert message["Message-ID"] == message_id
    assert plain_part(message).replace("\r\n", "\n") == NOTICE.text


class Refusing(Inbox):
    """Refuses one recipient and one sender, as a real server's policy would;
    records each MAIL command's options and the session of every RCPT."""

    def __init__(self) -> None:
        super().__init__()
        self.mail_options: list[list[str]] = []
        self.peers: list[Any] = []
        self.sizes: list[int] = []

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == "blocked@example.org":
            return "553 sender not allowed"
        self.mail_options.append(options)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.peers.append(session.peer)
        if address == "gone@example.org":
            return "550 no such mailbox"
        if address == "full@example.org":
            return "452 mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sizes.append(len(envelope.original_content))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def refusing() -> Iterator[tuple[Refusing, int]]:
    received, port = Refusing(), free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


async def test_the_envelope_declares_the_message_size(refusing: tuple[Refusing, int]) -> None:
    received, port = refusing
    email = channel(port)
    await email.send("team@example.org", NOTICE, status_callback=None)
    await email.close()
    [options] = received.mail_options
    assert options == [f"SIZE={received.sizes[0]}"]


@pytest.mark.parametrize(
    ("address", "code", "permanent"),
    [("gone@example.org", 550, True), ("full@example.org", 452, False)],
)
async def test_a_refused_recipient_fails_and_the_session_carries_on(
    refusing: tuple[Refusing, int], address: str, code: int, permanent: bool
) -> None:
    received, port = refusing
    email = channel(port)
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await email.send(address, NOTICE, status_callback=None)
        await email.send("team@example.org", NOTICE, status_callback=None)
    finally:
        await email.close()
    assert failed.value.permanent is permanent  # a 4xx refusal is tried again later
    assert str(failed.value) == f"recipient refused: {code}"  # the code, never the address
    assert received.envelopes == [("alerts@example.org", ["team@example.org"])]
    [first, second] = received.peers
    assert first == second  # the envelope was reset, not the session


async def test_a_refused_sender_is_a_failure_to_retry(refusing: tuple[Refusing, int]) -> None:
    received, port = refusing
    email = SmtpEmail(host="127.0.0.1", port=port, sender="blocked@example.org", timeout=3.0)
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await email.send("team@example.org", NOTICE, status_callback=None)
    finally:
        await email.close()
    assert not failed.value.permanent
    assert received.messages == []


class WithoutEsmtp(Inbox):
    """An old server: refuses EHLO, takes HELO, so no SIZE either."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        return ["502 5.5.1 EHLO not implemented"]


async def test_a_server_without_esmtp_gets_its_email_after_helo() -> None:
    received, port = WithoutEsmtp(), free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    email = channel(port)
    try:
        await email.send("team@example.org", NOTICE, status_callback=None)
    finally:
        await email.close()
        controller.stop()
    assert received.envelopes == [("alerts@example.org", ["team@example.org"])]
