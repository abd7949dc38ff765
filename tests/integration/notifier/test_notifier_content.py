"""What the alerts say: hostile input in every channel, the submitter's
acknowledgement, and the local fallbacks (outbox folder, call log)."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from xml.etree import ElementTree

import asyncpg
import orjson
import pytest

from notifier.migrations.runner import migrate, migration_files
from shared.contracts import Topic, Urgency
from tests.integration.notifier.harness import (
    ON_CALL_EMAIL,
    ON_CALL_PHONE,
    Harness,
    make_result,
    wait_for,
)
from tests.support.smtp import html_part, plain_part

pytestmark = pytest.mark.integration

HOSTILE_NAME = "<img src=x onerror=alert(1)> محمد 王"
HOSTILE_MESSAGE = (
    "<script>alert('x')</script>\r\nBcc: victim@example.com\r\n\r\n"
    + "Он не может дышать. 他不能呼吸。 لا يستطيع التنفس "
    + "&amp; <b>bold</b> "
    + "x" * 9000
)


async def test_hostile_input_is_harmless_in_every_channel(harness: Harness) -> None:
    await harness.start()
    result = make_result(
        Urgency.EMERGENCY,
        name=HOSTILE_NAME,
        message=HOSTILE_MESSAGE,
        subject="Subject: injected <b>",
    )
    await harness.publish(result)
    mail = (await wait_for(lambda: harness.smtp.inbox.to(ON_CALL_EMAIL)))[0]
    assert mail.get_all("Bcc") is None and len(mail.get_all("To")) == 1
    assert "\n" not in str(mail["Subject"]) and "\r" not in str(mail["Subject"])
    assert "<img" in str(mail["Subject"])  # plain text in a header is inert
    body_html = html_part(mail)
    assert "<script>" not in body_html and "<img" not in body_html and "<b>bold" not in body_html
    assert "&lt;script&gt;" in body_html and "&amp;amp;" in body_html
    assert "他不能呼吸" in body_html and "محمد" in body_html
    assert "x" * 9000 in plain_part(mail)  # quoted in full for the staff who answer
    await wait_for(lambda: harness.twilio.calls(ON_CALL_PHONE) and harness.twilio.texts())
    twiml = harness.twilio.calls(ON_CALL_PHONE)[0]["Twiml"]
    said = ElementTree.fromstring(twiml).findall("Say")
    assert said and "<img" in said[0].text  # escaped in XML, parsed back as text
    text = harness.twilio.texts(ON_CALL_PHONE)[0]["Body"]
    assert len(text) < 320 and "script" not in text and "дышать" not in text
    await wait_for(lambda: harness.twilio.chats)
    chat = harness.twilio.chats[0]["text"]
    assert "script" not in chat and "дышать" not in chat and str(result.submission_id) in chat


async def test_the_submitter_is_acknowledged_without_internal_labels(harness: Harness) -> None:
    await harness.start(ack_submitter=True)
    result = make_result(Urgency.EMERGENCY, Topic.CARE_SUPPORT, email="writer@example.net")
    await harness.publish(result)
    ack = (await wait_for(lambda: harness.smtp.inbox.to("writer@example.net")))[0]
    body = plain_part(ack).lower()
    assert "911" in body and "988" in body and "we received your message" in body
    for label in ("emergency", "care_support", "test_rule", "urgency", "topic"):
        assert label not in body and label not in str(ack["Subject"]).lower()


async def test_spam_and_honeypot_are_not_acknowledged(harness: Harness) -> None:
    await harness.start(ack_submitter=True)
    spam = make_result(Urgency.LOW, Topic.SPAM, email="spammer@example.net")
    await harness.publish(spam)
    marker = make_result(Urgency.ROUTINE, email="real@example.net")
    await harness.publish(marker)
    await wait_for(lambda: harness.smtp.inbox.to("real@example.net"))
    await asyncio.sleep(0.2)
    assert not harness.smtp.inbox.to("spammer@example.net")


async def test_without_smtp_or_twilio_alerts_go_to_the_outbox_and_call_log(
    harness: Harness,
) -> None:
    settings = harness.settings
    await harness.start(smtp_host="", twilio_account_sid="")
    result = make_result(Urgency.EMERGENCY, message="She fell <and> cannot get up")
    await harness.publish(result)
    emls = await wait_for(lambda: list(settings.outbox_dir.glob("*.eml")))
    mail = message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert mail["To"] == ON_CALL_EMAIL
    await wait_for(lambda: settings.call_log.exists() and len(_log(settings.call_log)) == 2)
    kinds = {entry["kind"] for entry in _log(settings.call_log)}
    assert kinds == {"sms", "voice"}
    assert not harness.twilio.requests and not harness.smtp.inbox.messages


def _log(path: object) -> list[dict[str, str]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]  # type: ignore[attr-defined]


async def test_two_replicas_migrating_together_apply_each_migration_once(
    database_url: str,
) -> None:
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await asyncio.gather(migrate(first), migrate(second))
        rows = await first.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [v for v, _, _ in migration_files()]
    finally:
        await first.close()
        await second.close()
