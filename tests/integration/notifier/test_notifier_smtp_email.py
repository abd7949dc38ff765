"""What a real SMTP server (aiosmtpd) receives from the email channel: the
directly written staff email, and the general path for addresses it does not take."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

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
