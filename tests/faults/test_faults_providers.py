"""The mail server or the phone provider away for a while: alerts wait for it
and go out when it is back, and an emergency reaches on-call at once through
the channel that still works."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.helpers import (
    ON_CALL_EMAILS,
    ON_CALL_NUMBERS,
    Mail,
    StackFactory,
    calls_about,
    post_ok,
    texts_about,
    wait_for,
)
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, ROUTINE
from tests.support.tcp_proxy import TcpProxy
from tests.support.twilio import TwilioStandIn

pytestmark = [pytest.mark.faults, pytest.mark.timeout(90)]

OUTAGE = 3.0  # seconds; shorter than the first retry delay (5 s)
AT_ONCE = 5.0  # an alert on a working channel is out within this, outage or not


async def test_phone_provider_down_emergency_email_at_once_calls_and_texts_when_back(
    make_stack: StackFactory,
    vhost_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
    phone_line: TcpProxy,
) -> None:
    stack = await make_stack(vhost_url, triage=1)
    mail = Mail(smtp)
    phone_line.cut()  # connections to the provider are refused/reset
    started = time.monotonic()
    emergency = await post_ok(stack, EMERGENCY)
    routine = await post_ok(stack, ROUTINE)
    emailed = await wait_for(lambda: mail.count(emergency) == 1, timeout=AT_ONCE, what="email")
    await wait_for(lambda: mail.count(routine) == 1, timeout=AT_ONCE, what="routine email")
    assert set(mail.to_by_id[emergency]) <= ON_CALL_EMAILS
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
    assert not calls_about(phone, emergency) and not texts_about(phone, emergency)

    phone_line.restore()
    back = time.monotonic()
    await wait_for(
        lambda: bool(calls_about(phone, emergency) and texts_about(phone, emergency)),
        timeout=40,
        what="call and text once the provider is back",
    )
    called = time.monotonic() - back
    await asyncio.sleep(1.5)  # a duplicate would show by now
    [call] = calls_about(phone, emergency)
    [text] = texts_about(phone, emergency)
    assert call["To"] in ON_CALL_NUMBERS and text["To"] in ON_CALL_NUMBERS
    assert mail.count(emergency) == 1, "the retry does not email on-call again"
    assert mail.count(routine) == 1
    print(
        f"\nphone down {OUTAGE:.0f} s: on-call email after {emailed:.2f} s, "
        f"call and text {called:.2f} s after the provider came back; "
        f"calls {len(calls_about(phone, emergency))}, texts {len(texts_about(phone, emergency))}, "
        f"emails {mail.count(emergency)}"
    )


async def test_smtp_down_emergency_call_and_text_at_once_email_when_back(
    make_stack: StackFactory,
    vhost_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> None:
    stack = await make_stack(vhost_url, triage=1)
    mail = Mail(smtp)
    smtp.stop()
    started = time.monotonic()
    emergency = await post_ok(stack, EMERGENCY)
    routine = await post_ok(stack, ROUTINE)
    reached = await wait_for(
        lambda: bool(calls_about(phone, emergency) and texts_about(phone, emergency)),
        timeout=AT_ONCE,
        what="call and text while SMTP is down",
    )
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
    assert not smtp.inbox.messages

    smtp.start()
    back = time.monotonic()
    await wait_for(
        lambda: mail.count(emergency) == 1 and mail.count(routine) == 1,
        timeout=40,
        what="emails once SMTP is back",
    )
    emailed = time.monotonic() - back
    await asyncio.sleep(1.5)
    assert mail.count(emergency) == 1 and mail.count(routine) == 1
    assert set(mail.to_by_id[emergency]) <= ON_CALL_EMAILS
    assert mail.to_by_id[routine] == ["programs@example.org"]
    assert len(calls_about(phone, emergency)) == 1, "the retry does not call again"
    assert len(texts_about(phone, emergency)) == 1
    assert not mail.ops(), "a short outage is not a dead letter"
    print(
        f"\nSMTP down {OUTAGE:.0f} s: call and text after {reached:.2f} s, "
        f"emails {emailed:.2f} s after SMTP came back; "
        f"calls {len(calls_about(phone, emergency))}, texts {len(texts_about(phone, emergency))}, "
        f"emails {mail.count(emergency)} + routine {mail.count(routine)}"
    )
