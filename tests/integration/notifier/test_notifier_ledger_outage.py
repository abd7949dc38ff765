"""The ledger's database out of reach: an emergency goes out at once and is
recorded once the database answers again, never sent twice; every other
result waits for the database and spends no retry on the outage."""

from __future__ import annotations

import asyncio

import pytest

from shared.contracts import Urgency
from shared.topology import NOTIFIER_RESULTS_QUEUE
from tests.integration.notifier.harness import (
    BACKUP_PHONE,
    ON_CALL_EMAIL,
    ON_CALL_PHONE,
    OPS_EMAIL,
    TEAM_EMAIL,
    Harness,
    make_result,
    wait_for,
)
from tests.support.queues import queue_depth
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

# On-call's call, text and email, each recorded sent.
ALL_SENT = {("olive", channel): "sent" for channel in ("voice", "sms", "email")}


@pytest.fixture
def through_line(database_url: str, database_line: TcpProxy) -> str:
    return database_line.url(database_url)


async def test_an_emergency_goes_out_with_the_database_down_and_is_recorded_when_it_is_back(
    harness: Harness, database_line: TcpProxy, through_line: str
) -> None:
    await harness.start(database_url=through_line)
    database_line.cut()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    await wait_for(
        lambda: harness.twilio.calls(ON_CALL_PHONE) and harness.twilio.texts(ON_CALL_PHONE)
    )
    await wait_for(lambda: harness.smtp.inbox.to(ON_CALL_EMAIL))
    database_line.restore()
    await wait_for(lambda: harness.has_statuses(result.submission_id, ALL_SENT), within=20)
    await asyncio.sleep(0.5)
    assert len(harness.twilio.calls(ON_CALL_PHONE)) == 1
    assert len(harness.twilio.texts(ON_CALL_PHONE)) == 1
    assert len(harness.smtp.inbox.to(ON_CALL_EMAIL)) == 1
    assert not harness.smtp.inbox.to(OPS_EMAIL)
    rows = await harness.rows(result.submission_id)
    assert all(r["provider_id"] for r in rows if r["channel"] in ("voice", "sms"))


async def test_a_call_failing_while_the_database_is_down_goes_to_the_backup_both_recorded(
    harness: Harness, database_line: TcpProxy, through_line: str
) -> None:
    harness.twilio.fail_to.add(ON_CALL_PHONE)
    await harness.start(database_url=through_line)
    database_line.cut()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    await wait_for(lambda: harness.twilio.calls(BACKUP_PHONE))
    database_line.restore()
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("olive", "voice"): "failed"}),
        within=20,
    )
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("bruno", "voice"): "sent"}))
    await asyncio.sleep(0.5)
    assert len(harness.twilio.calls(ON_CALL_PHONE)) == 1, "not called again once recorded"
    assert len(harness.twilio.calls(BACKUP_PHONE)) == 1


async def test_a_routine_result_waits_for_the_database_and_spends_no_retry(
    harness: Harness, database_line: TcpProxy, through_line: str
) -> None:
    await harness.start(database_url=through_line, retry_attempts=1)
    database_line.cut()
    result = make_result(Urgency.ROUTINE)
    await harness.publish(result)
    await asyncio.sleep(2.0)
    assert not harness.smtp.inbox.to(TEAM_EMAIL)
    assert await queue_depth(harness.settings.rabbitmq_url, NOTIFIER_RESULTS_QUEUE) == 0, (
        "held, not handed back"
    )
    database_line.restore()
    await wait_for(lambda: harness.smtp.inbox.to(TEAM_EMAIL), within=10)
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("team:support", "email"): "sent"})
    )
    assert not harness.smtp.inbox.to(OPS_EMAIL), "one attempt allowed, none spent"


async def test_a_database_that_stops_answering_counts_as_down_after_the_timeout(
    harness: Harness, database_line: TcpProxy, through_line: str
) -> None:
    await harness.start(database_url=through_line, database_timeout=1.0)
    database_line.stall()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    await wait_for(lambda: harness.twilio.calls(ON_CALL_PHONE), within=5)
    database_line.restore()
    await wait_for(lambda: harness.has_statuses(result.submission_id, ALL_SENT), within=20)
    assert len(harness.twilio.calls(ON_CALL_PHONE)) == 1
