"""Each default routing rule, end to end through broker, ledger and providers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from shared.contracts import Topic, Urgency
from tests.integration.notifier.harness import (
    BACKUP_PHONE,
    OFFICE_EMAIL,
    ON_CALL_EMAIL,
    ON_CALL_PHONE,
    TEAM_EMAIL,
    Harness,
    make_result,
    wait_for,
)
from tests.support.smtp import plain_part

pytestmark = pytest.mark.integration


async def test_emergency_calls_texts_and_emails_the_on_call(harness: Harness) -> None:
    await harness.start()
    result = make_result(Urgency.EMERGENCY, message="He cannot breathe, BiPAP failed")
    await harness.publish(result)
    sid = str(result.submission_id)
    await wait_for(lambda: harness.smtp.inbox.about(sid))
    await wait_for(lambda: harness.twilio.calls(ON_CALL_PHONE) and harness.twilio.texts())
    call = harness.twilio.calls(ON_CALL_PHONE)[0]
    assert "emergency inquiry from Maria" in call["Twiml"]
    assert call["StatusCallback"].endswith("/twilio/status")
    text = harness.twilio.texts(ON_CALL_PHONE)[0]["Body"]
    assert "EMERGENCY" in text and "Maria" in text and "+1 555 010 7777" in text
    assert "breathe" not in text and "BiPAP" not in call["Twiml"]
    mail = harness.smtp.inbox.about(sid)[0]
    assert mail["To"] == ON_CALL_EMAIL and "[EMERGENCY]" in mail["Subject"]
    body = plain_part(mail)
    assert "cannot breathe, BiPAP failed" in body and "test_rule" in body
    assert "maria@example.com" in body
    await wait_for(lambda: harness.twilio.chats)
    assert sid in harness.twilio.chats[0]["text"]
    assert not harness.twilio.calls(BACKUP_PHONE)
    statuses = await wait_for(lambda: _all_final(harness, result.submission_id, 4))
    assert statuses == {
        ("olive", "voice"): "sent",
        ("olive", "sms"): "sent",
        ("olive", "email"): "sent",
        ("chat", "chat"): "sent",
    }


async def _all_final(harness: Harness, submission_id: object, count: int) -> object:
    statuses = await harness.statuses(submission_id)  # type: ignore[arg-type]
    done = len(statuses) == count and "claimed" not in statuses.values()
    return statuses if done else None


async def test_urgent_texts_and_emails_the_on_call(harness: Harness) -> None:
    await harness.start()
    result = make_result(Urgency.URGENT)
    await harness.publish(result)
    await wait_for(lambda: harness.smtp.inbox.to(ON_CALL_EMAIL))
    await wait_for(lambda: harness.twilio.texts(ON_CALL_PHONE))
    assert not harness.twilio.calls()
    assert "[URGENT]" in harness.smtp.inbox.to(ON_CALL_EMAIL)[0]["Subject"]


async def test_routine_goes_to_the_topic_team_inbox(harness: Harness) -> None:
    await harness.start()
    result = make_result(Urgency.ROUTINE, Topic.SYMPTOMS, message="Swelling in her legs again")
    await harness.publish(result)
    mail = (await wait_for(lambda: harness.smtp.inbox.to(TEAM_EMAIL)))[0]
    assert str(result.submission_id) in mail["Subject"]
    assert "Swelling in her legs again" in plain_part(mail)
    await asyncio.sleep(0.3)
    assert not harness.twilio.requests and len(harness.smtp.inbox.messages) == 1


async def test_low_goes_to_the_daily_digest_built_from_the_ledger(harness: Harness) -> None:
    harness.clock.now = datetime(2025, 3, 5, 6, 0, tzinfo=UTC)  # before the 08:00 digest
    await harness.start()
    results = [make_result(Urgency.LOW, Topic.GIVING, name=f"Donor{i}") for i in range(3)]
    for result in results:
        await harness.publish(result)
    for result in results:
        await wait_for(lambda r=result: harness.statuses(r.submission_id))  # type: ignore[misc]
    assert not harness.smtp.inbox.messages
    await harness.stop()  # the digest survives a restart: it is in the ledger
    harness.clock.now = datetime(2025, 3, 5, 8, 1, tzinfo=UTC)
    await harness.start()
    digest = (await wait_for(lambda: harness.smtp.inbox.to(OFFICE_EMAIL)))[0]
    assert "[DIGEST]" in digest["Subject"] and "3 inquiries" in digest["Subject"]
    body = plain_part(digest)
    assert all(str(r.submission_id) in body for r in results)
    await asyncio.sleep(0.6)  # several scheduler ticks: sent once a day only
    assert len(harness.smtp.inbox.to(OFFICE_EMAIL)) == 1
    for result in results:
        assert await harness.statuses(result.submission_id) == {("digest", "email"): "digested"}


async def test_spam_is_counted_and_alerts_no_one(harness: Harness) -> None:
    service = await harness.start()
    spam = make_result(Urgency.LOW, Topic.SPAM, message="Buy SEO now")
    marker = make_result(Urgency.ROUTINE)
    await harness.publish(spam)
    await harness.publish(marker)
    await wait_for(lambda: harness.smtp.inbox.messages)
    await asyncio.sleep(0.2)
    assert len(harness.smtp.inbox.messages) == 1 and not harness.twilio.requests
    assert await harness.rows(spam.submission_id) == []
    assert service.dispatcher.metrics.spam._value.get() == 1


async def test_quiet_hours_hold_the_text_and_send_the_email(harness: Harness) -> None:
    harness.clock.now = datetime(2025, 3, 5, 23, 30, tzinfo=UTC)
    await harness.start()
    result = make_result(Urgency.URGENT)
    await harness.publish(result)
    await wait_for(lambda: harness.smtp.inbox.to(ON_CALL_EMAIL))
    await wait_for(lambda: _status_is(harness, result, ("olive", "sms"), "held"))
    await asyncio.sleep(0.5)
    assert not harness.twilio.texts()
    harness.clock.now = datetime(2025, 3, 6, 8, 0, tzinfo=UTC)  # quiet hours end
    text = (await wait_for(lambda: harness.twilio.texts(ON_CALL_PHONE)))[0]
    assert str(result.submission_id) in text["Body"]
    await wait_for(lambda: _status_is(harness, result, ("olive", "sms"), "sent"))


async def test_an_emergency_is_never_held_for_quiet_hours(harness: Harness) -> None:
    harness.clock.now = datetime(2025, 3, 5, 3, 0, tzinfo=UTC)
    await harness.start()
    await harness.publish(make_result(Urgency.EMERGENCY))
    await wait_for(lambda: harness.twilio.calls(ON_CALL_PHONE) and harness.twilio.texts())


async def _status_is(harness: Harness, result: object, key: tuple[str, str], want: str) -> bool:
    statuses = await harness.statuses(result.submission_id)  # type: ignore[attr-defined]
    return statuses.get(key) == want


@pytest.fixture
def throttled_routing(routing_file: object) -> object:
    import yaml

    from tests.integration.notifier.harness import routing_doc

    doc = routing_doc(throttle={"sms": {"window_minutes": 60, "limit": 2}})
    routing_file.write_text(yaml.safe_dump(doc))  # type: ignore[attr-defined]
    return routing_file


async def test_past_the_limit_the_rest_go_out_as_one_bundle(
    harness: Harness, throttled_routing: object
) -> None:
    await harness.start()
    results = [make_result(Urgency.URGENT, name=f"Person{i}") for i in range(5)]
    for result in results:
        await harness.publish(result)
        await wait_for(lambda r=result: _status_is(harness, r, ("olive", "email"), "sent"))
    await asyncio.sleep(0.5)
    assert len(harness.twilio.texts(ON_CALL_PHONE)) == 2
    assert len(harness.smtp.inbox.to(ON_CALL_EMAIL)) == 5  # email has no limit here
    harness.clock.now = harness.clock.now.replace(hour=13, minute=5)  # the window has passed
    await wait_for(lambda: len(harness.twilio.texts(ON_CALL_PHONE)) == 3)
    bundle = harness.twilio.texts(ON_CALL_PHONE)[2]["Body"]
    assert "3 more urgent inquiries waiting" in bundle
    await asyncio.sleep(0.5)
    assert len(harness.twilio.texts(ON_CALL_PHONE)) == 3
    statuses = [await harness.statuses(r.submission_id) for r in results]
    assert [s[("olive", "sms")] for s in statuses].count("bundled") == 3
