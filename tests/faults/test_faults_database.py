"""The ledger's database away for a while: an emergency still reaches on-call
at once (recorded in the ledger once the database is back, never sent twice),
and the other results wait for the database without using up their retries."""

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
    events,
    ledger_rows,
    metric,
    post_ok,
    texts_about,
    wait_for,
)
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, ROUTINE
from tests.support.tcp_proxy import TcpProxy
from tests.support.twilio import TwilioStandIn

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]

AT_ONCE = 5.0  # seconds: an emergency reaches on-call within this, database or not
# Longer than a routine result's whole retry budget below (RETRY_ATTEMPTS=2:
# one 5 s retry, then the dead-letter queue), so spending attempts on the
# outage would dead-letter it.
OUTAGE = 12.0


async def test_database_down_emergency_reaches_on_call_at_once_and_is_recorded_when_back(
    make_stack: StackFactory,
    vhost_url: str,
    database_url: str,
    database_line: TcpProxy,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> None:
    stack = await make_stack(
        vhost_url, triage=1, DATABASE_URL=database_line.url(database_url), RETRY_ATTEMPTS="2"
    )
    mail = Mail(smtp)
    database_line.cut()
    started = time.monotonic()
    emergency = await post_ok(stack, EMERGENCY)
    routine = await post_ok(stack, ROUTINE)
    reached = await wait_for(
        lambda: (
            bool(calls_about(phone, emergency) and texts_about(phone, emergency))
            and mail.count(emergency) == 1
        ),
        timeout=AT_ONCE,
        what="call, text and email to on-call while the database is down",
    )
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
    assert mail.count(routine) == 0, "a routine email waits for the ledger"

    database_line.restore()
    back = time.monotonic()
    await wait_for(lambda: mail.count(routine) == 1, timeout=40, what="routine email when back")
    emailed = time.monotonic() - back
    rows = await wait_for_rows(database_url, emergency, timeout=40)
    await asyncio.sleep(1.5)  # a duplicate would show by now
    [call] = calls_about(phone, emergency)
    [text] = texts_about(phone, emergency)
    assert call["To"] in ON_CALL_NUMBERS and text["To"] in ON_CALL_NUMBERS
    assert mail.count(emergency) == 1 and set(mail.to_by_id[emergency]) <= ON_CALL_EMAILS
    assert mail.count(routine) == 1
    assert {r["status"] for r in rows} == {"sent"}
    assert not mail.ops(), "an outage is not a dead letter"
    notifier = stack.first("notifier")
    assert len(events(notifier, "alert.sent_unrecorded")) == 3
    assert await metric(notifier, "notifier_ledger_unreachable_total") >= 2, "ops can see it"
    print(
        f"\ndatabase down {OUTAGE:.0f} s: emergency call, text and email after "
        f"{reached:.2f} s; routine email {emailed:.2f} s after the database came back; "
        f"ledger rows for the emergency: {sorted((r['channel'], r['status']) for r in rows)}"
    )


ALL_SENT = {("voice", "sent"), ("sms", "sent"), ("email", "sent")}


async def wait_for_rows(database_url: str, submission_id: str, timeout: float) -> list[dict]:
    """The emergency's ledger rows once its call, text and email are recorded sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = [r for r in await ledger_rows(database_url) if r["submission_id"] == submission_id]
        if {(r["channel"], r["status"]) for r in rows} >= ALL_SENT:
            return rows
        await asyncio.sleep(0.2)
    raise AssertionError(f"the emergency's ledger rows not all sent within {timeout}s")


async def test_a_notifier_started_before_its_database_calls_at_once_and_catches_up(
    make_stack: StackFactory,
    vhost_url: str,
    database_url: str,
    database_line: TcpProxy,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> None:
    """A node restart can bring the notifier up before PostgreSQL: it must not
    crash-loop (minutes of back-off) while someone is in crisis."""
    database_line.cut()
    stack = await make_stack(vhost_url, triage=1, DATABASE_URL=database_line.url(database_url))
    mail = Mail(smtp)
    emergency = await post_ok(stack, EMERGENCY)
    routine = await post_ok(stack, ROUTINE)
    reached = await wait_for(
        lambda: bool(calls_about(phone, emergency)) and mail.count(emergency) == 1,
        timeout=AT_ONCE,
        what="call and email to on-call before the database is up",
    )
    database_line.restore()
    await wait_for(lambda: mail.count(routine) == 1, timeout=40, what="routine email once up")
    rows = await wait_for_rows(database_url, emergency, timeout=40)
    await asyncio.sleep(1.5)
    assert len(calls_about(phone, emergency)) == 1 and mail.count(emergency) == 1
    assert {r["status"] for r in rows} == {"sent"}
    assert events(stack.first("notifier"), "ledger.ready")
    print(f"\nnotifier up before its database: emergency call and email after {reached:.2f} s")
