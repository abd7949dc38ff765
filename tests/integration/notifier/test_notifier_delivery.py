"""Delivery guarantees: retries, fallback to the backup, dedupe on
redelivery, dead-lettering, receipts, and emergencies ahead of a backlog."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from notifier.consumer import ATTEMPT_HEADER
from shared.broker import DEAD_LETTER_REASON
from shared.codec import encode
from shared.contracts import Topic, Urgency
from shared.topology import NOTIFIER_RESULTS_QUEUE, RESULTS_EXCHANGE, retry_queue_name
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
from tests.support.smtp import plain_part
from tests.support.twilio import AUTH_TOKEN, sign

pytestmark = pytest.mark.integration


async def test_smtp_down_then_up_delivers_through_a_retry(harness: Harness) -> None:
    harness.smtp.stop()
    await harness.start()
    result = make_result(Urgency.ROUTINE)
    await harness.publish(result)
    key = ("team:support", "email")
    await wait_for(lambda: harness.has_statuses(result.submission_id, {key: "error"}))
    harness.smtp.start()
    mail = await wait_for(lambda: harness.smtp.inbox.to(TEAM_EMAIL), within=20)
    assert str(result.submission_id) in mail[0]["Subject"]
    await wait_for(lambda: harness.has_statuses(result.submission_id, {key: "sent"}))
    rows = await harness.rows(result.submission_id)
    assert rows[0]["attempts"] == 2
    assert len(harness.smtp.inbox.to(TEAM_EMAIL)) == 1


async def test_a_failing_call_falls_back_to_the_backup(harness: Harness) -> None:
    harness.twilio.fail_to.add(ON_CALL_PHONE)
    await harness.start()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    await wait_for(lambda: harness.twilio.calls(BACKUP_PHONE))
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("bruno", "voice"): "sent"}))
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("olive", "voice"): "failed"})
    )
    await asyncio.sleep(0.5)
    assert len(harness.twilio.calls(ON_CALL_PHONE)) == 1  # not retried: the backup has it
    assert harness.twilio.texts(ON_CALL_PHONE) and harness.smtp.inbox.to(ON_CALL_EMAIL)


async def test_an_unanswered_call_moves_on_to_the_backup(harness: Harness) -> None:
    harness.twilio.no_answer_to.add(ON_CALL_PHONE)
    await harness.start()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    await wait_for(lambda: harness.twilio.calls(BACKUP_PHONE))
    # The stand-in records our answer to its callback only once it returns.
    await wait_for(lambda: harness.twilio.callbacks)
    assert harness.twilio.callbacks == [204]
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("olive", "voice"): "no_answer"})
    )
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("bruno", "voice"): "sent"}))


async def test_when_the_backup_does_not_answer_either_ops_are_told_at_once(
    harness: Harness,
) -> None:
    harness.twilio.no_answer_to.update({ON_CALL_PHONE, BACKUP_PHONE})
    await harness.start()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    ops = await wait_for(lambda: harness.smtp.inbox.to(OPS_EMAIL))
    assert "unanswered" in str(ops[0]["Subject"])
    assert str(result.submission_id) in str(ops[0]["Subject"])
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("bruno", "voice"): "no_answer"})
    )


async def test_a_receipt_with_a_bad_signature_is_refused(harness: Harness) -> None:
    service = await harness.start()
    url = f"{harness.settings.public_base_url}/twilio/status"
    params = {"CallSid": "CA1", "CallStatus": "no-answer"}
    async with aiohttp.ClientSession() as session:
        headers = {"X-Twilio-Signature": sign("wrong-token", url, params)}
        async with session.post(url, data=params, headers=headers) as response:
            assert response.status == 403
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, params)}
        async with session.post(url, data=params, headers=headers) as response:
            assert response.status == 204  # signed, unknown sid: recorded nowhere
        async with session.get(f"http://127.0.0.1:{service.port}/healthz") as response:
            assert response.status == 200


async def test_an_sms_receipt_marks_the_text_delivered(harness: Harness) -> None:
    await harness.start()
    result = make_result(Urgency.URGENT)
    await harness.publish(result)
    text = (await wait_for(lambda: harness.twilio.texts(ON_CALL_PHONE)))[0]
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("olive", "sms"): "sent"}))
    url = text["StatusCallback"]
    params = {"MessageSid": text["_sid"], "MessageStatus": "delivered"}
    async with aiohttp.ClientSession() as session:
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, params)}
        async with session.post(url, data=params, headers=headers) as response:
            assert response.status == 204
    assert await harness.has_statuses(result.submission_id, {("olive", "sms"): "delivered"})


async def test_the_same_result_twice_alerts_once(harness: Harness) -> None:
    await harness.start()
    result = make_result(Urgency.EMERGENCY)
    await harness.publish(result)
    await harness.publish(result)
    await wait_for(lambda: harness.twilio.calls(ON_CALL_PHONE))
    marker = make_result(Urgency.EMERGENCY, name="Marker")
    await harness.publish(marker)  # the same queue, in order: both copies are handled by now
    await wait_for(lambda: len(harness.twilio.calls(ON_CALL_PHONE)) == 2)
    await asyncio.sleep(0.3)
    sid = str(result.submission_id)
    assert len(harness.smtp.inbox.about(sid)) == 1
    assert len([t for t in harness.twilio.texts() if sid in t["Body"]]) == 1


async def test_a_crash_after_sending_before_the_ack_does_not_alert_twice(
    harness: Harness,
) -> None:
    service = await harness.start()
    result = make_result(Urgency.URGENT)
    # The first replica sent and recorded, then died before acking: the broker
    # redelivers the same message, here to a second replica.
    assert (await service.dispatcher.handle(result)).ok
    await harness.publish(result)
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("olive", "email"): "sent"}))
    await asyncio.sleep(0.5)
    assert len(harness.smtp.inbox.to(ON_CALL_EMAIL)) == 1
    assert len(harness.twilio.texts(ON_CALL_PHONE)) == 1


async def test_a_claim_whose_lease_ran_out_is_sent_again(harness: Harness) -> None:
    service = await harness.start()
    result = make_result(Urgency.ROUTINE)
    await service.dispatcher.ledger.record_and_claim(result, [])  # the result's row only
    await harness.db.execute(
        "INSERT INTO deliveries (submission_id, recipient, channel, address, urgency, purpose,"
        " status, attempts, lease_until) VALUES ($1, 'team:support', 'email', $2, 'routine',"
        " 'staff', 'claimed', 1, now() - interval '1 minute')",
        result.submission_id,
        TEAM_EMAIL,
    )
    await harness.publish(result)
    await wait_for(lambda: harness.smtp.inbox.to(TEAM_EMAIL))
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("team:support", "email"): "sent"})
    )


async def test_a_permanent_failure_is_dead_lettered_and_ops_are_told(harness: Harness) -> None:
    harness.twilio.reject_to.add(ON_CALL_PHONE)
    await harness.start()
    result = make_result(Urgency.URGENT)
    await harness.publish(result)
    ops = await wait_for(lambda: harness.smtp.inbox.to(OPS_EMAIL))
    assert str(result.submission_id) in ops[0]["Subject"]
    assert "dead-lettered" in plain_part(ops[0])
    corpse = await _dead_letter(harness)
    assert "twilio: HTTP 400" in corpse.headers[DEAD_LETTER_REASON]


async def test_retries_are_bounded_then_dead_lettered(harness: Harness) -> None:
    harness.twilio.fail_to.add(ON_CALL_PHONE)
    await harness.start(retry_attempts=2)
    result = make_result(Urgency.URGENT)
    await harness.publish(result)
    channel = await harness.broker.consuming_channel(prefetch=1)
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("olive", "sms"): "error"}))
    # First failure: one retry through the 5 s delay queue, with the attempt header.
    await wait_for(lambda: harness.twilio.texts(ON_CALL_PHONE)[1:], within=20)
    corpse = await _dead_letter(harness)
    assert corpse.headers[ATTEMPT_HEADER] == 1
    assert "after 2 attempts" in corpse.headers[DEAD_LETTER_REASON]
    await wait_for(lambda: harness.smtp.inbox.to(OPS_EMAIL))
    assert len(harness.smtp.inbox.to(ON_CALL_EMAIL)) == 1  # the email was not sent twice
    await channel.close()


async def test_an_unreadable_message_goes_straight_to_the_dead_letter_queue(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.broker.publish(
        RESULTS_EXCHANGE, "triaged.routine", b"{not json", message_id="garbage-1"
    )
    corpse = await _dead_letter(harness)
    assert corpse.message_id == "garbage-1"
    assert "unreadable: bad JSON" in corpse.headers[DEAD_LETTER_REASON]
    assert ATTEMPT_HEADER not in corpse.headers


async def test_a_retry_lands_in_the_first_delay_queue(harness: Harness) -> None:
    harness.smtp.stop()
    await harness.start()
    result = make_result(Urgency.ROUTINE)
    await harness.publish(result)
    await wait_for(
        lambda: harness.has_statuses(result.submission_id, {("team:support", "email"): "error"})
    )
    await harness.stop()
    channel = await harness.broker.consuming_channel(prefetch=1)
    queue = await channel.get_queue(retry_queue_name(NOTIFIER_RESULTS_QUEUE, 0))
    message = await wait_for(lambda: queue.get(fail=False))
    assert message.headers[ATTEMPT_HEADER] == 1 and message.body == encode(result)
    await message.ack()
    await channel.close()
    harness.smtp.start()


async def test_an_emergency_overtakes_a_backlog_of_routine_results(harness: Harness) -> None:
    await harness.start(results_prefetch=4)
    backlog = [make_result(Urgency.ROUTINE, Topic.SYMPTOMS) for _ in range(2000)]
    for start in range(0, len(backlog), 200):
        await asyncio.gather(*(harness.publish(r) for r in backlog[start : start + 200]))
    emergency = make_result(Urgency.EMERGENCY)
    await harness.publish(emergency)
    await wait_for(lambda: harness.twilio.calls(ON_CALL_PHONE), within=10)
    handled = len(harness.smtp.inbox.to(TEAM_EMAIL))
    # In practice about a tenth of the backlog is done when the emergency is called.
    assert handled < len(backlog) // 2, f"the emergency waited behind {handled} results"
    await harness.stop()  # the rest of the backlog is purged by the next test's fixture


async def _dead_letter(harness: Harness) -> object:
    channel = await harness.broker.consuming_channel(prefetch=1)
    dead = await channel.get_queue(f"{NOTIFIER_RESULTS_QUEUE}.dead")
    message = await wait_for(lambda: dead.get(fail=False), within=20)
    await message.ack()
    await channel.close()
    return message


async def test_the_time_from_submission_to_each_staff_alert_is_measured(
    harness: Harness,
) -> None:
    service = await harness.start(ack_submitter=True)
    result = make_result(Urgency.EMERGENCY)
    received = harness.clock.now - timedelta(seconds=3)
    submission = result.submission.model_copy(update={"received_at": received})
    result = result.model_copy(update={"submission": submission})
    await harness.publish(result)
    for key in (("olive", "voice"), ("olive", "sms"), ("olive", "email"), ("submitter", "email")):
        await wait_for(lambda key=key: harness.has_statuses(result.submission_id, {key: "sent"}))

    registry = service.dispatcher.metrics.registry
    for channel in ("voice", "sms", "email"):
        labels = {"urgency": "emergency", "channel": channel}
        count = registry.get_sample_value("notifier_alert_latency_seconds_count", labels)
        assert count == 1  # the staff alert; the submitter's acknowledgement is not one
        assert registry.get_sample_value("notifier_alert_latency_seconds_sum", labels) == 3.0
        bucket = "notifier_alert_latency_seconds_bucket"
        assert registry.get_sample_value(bucket, {**labels, "le": "2.5"}) == 0
        assert registry.get_sample_value(bucket, {**labels, "le": "5.0"}) == 1


async def test_a_submission_stamped_by_a_clock_ahead_counts_as_no_wait(
    harness: Harness,
) -> None:
    service = await harness.start()
    result = make_result(Urgency.EMERGENCY)
    ahead = harness.clock.now + timedelta(seconds=10)  # the intake's host runs fast
    submission = result.submission.model_copy(update={"received_at": ahead})
    await harness.publish(result.model_copy(update={"submission": submission}))
    await wait_for(lambda: harness.has_statuses(result.submission_id, {("olive", "voice"): "sent"}))

    labels = {"urgency": "emergency", "channel": "voice"}
    registry = service.dispatcher.metrics.registry
    assert registry.get_sample_value("notifier_alert_latency_seconds_count", labels) == 1
    assert registry.get_sample_value("notifier_alert_latency_seconds_sum", labels) == 0.0
