"""A poison message in each work queue is dead-lettered once, with a reason,
and the worker goes on with the next message."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from shared.topology import NOTIFIER_EMERGENCY_QUEUE, NOTIFIER_RESULTS_QUEUE, TRIAGE_QUEUE
from tests.faults.helpers import (
    ON_CALL_NUMBERS,
    Mail,
    StackFactory,
    calls_about,
    metric,
    post_ok,
    publish_raw,
    take_all,
    texts_about,
    wait_for,
)
from tests.support.queues import queue_depth
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, ROUTINE
from tests.support.twilio import TwilioStandIn

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]

QUEUES = (TRIAGE_QUEUE, NOTIFIER_EMERGENCY_QUEUE, NOTIFIER_RESULTS_QUEUE)


def poisons(queue: str) -> dict[str, bytes]:
    """Per queue: broken JSON, an unknown schema version, a JSON array, invalid UTF-8."""
    return {
        f"{queue}-bad-json-{uuid.uuid4().hex[:6]}": b'{"schema_version": 1, "id": ',
        f"{queue}-version-{uuid.uuid4().hex[:6]}": orjson.dumps(
            {"schema_version": 99, "id": str(uuid.uuid4())}
        ),
        f"{queue}-array-{uuid.uuid4().hex[:6]}": b"[1, 2, 3]",
        f"{queue}-bytes-{uuid.uuid4().hex[:6]}": b"\xff\xfe\x00garbage\x80",
    }


async def test_a_poison_message_in_each_queue_is_dead_lettered_once_and_work_goes_on(
    make_stack: StackFactory, vhost_url: str, smtp: SmtpServer, phone: TwilioStandIn
) -> None:
    stack = await make_stack(vhost_url, triage=1)
    mail = Mail(smtp)
    sent: dict[str, dict[str, bytes]] = {}
    for queue in QUEUES:
        sent[queue] = poisons(queue)
        for message_id, body in sent[queue].items():
            # An odd header too: the copy in the dead-letter queue must keep it.
            await publish_raw(
                vhost_url, queue, body, message_id=message_id, headers={"x-test": "poison"}
            )

    # Good messages after the poison: each worker goes on.
    routine_id = await post_ok(stack, ROUTINE)
    emergency_id = await post_ok(stack, EMERGENCY)
    await wait_for(lambda: mail.count(routine_id) == 1, what="routine email after poison")
    await wait_for(
        lambda: bool(calls_about(phone, emergency_id)) and mail.count(emergency_id) == 1,
        what="emergency call and email after poison",
    )
    [call] = calls_about(phone, emergency_id)
    assert call["To"] in ON_CALL_NUMBERS
    assert len(texts_about(phone, emergency_id)) == 1

    # Each poison once in <queue>.dead, with its reason; nothing left in the work queues.
    await asyncio.sleep(1.0)  # a second copy, if any, would be there by now
    report = []
    for queue in QUEUES:
        dead = await take_all(vhost_url, f"{queue}.dead")
        by_id = {m.message_id: m for m in dead}
        assert sorted(m.message_id or "" for m in dead) == sorted(sent[queue]), (
            queue,
            [m.message_id for m in dead],
        )
        for message_id, body in sent[queue].items():
            copy = by_id[message_id]
            headers = copy.headers or {}
            reason = headers.get("x-dead-letter-reason")
            assert isinstance(reason, str) and reason, (queue, message_id, headers)
            assert headers.get("x-source-queue") == queue
            assert headers.get("x-test") == "poison"
            assert copy.body == body
            report.append(f"{queue}: {message_id.split('-')[-2]} -> {reason[:60]!r}")
        assert await queue_depth(vhost_url, queue) == 0, queue
    print("\n" + "\n".join(report))

    # The workers said so, and lived: dead-letter metrics, ops told about each result.
    [triage] = stack.services["triage"]
    assert await metric(triage, "triage_dead_lettered_total") == len(sent[TRIAGE_QUEUE])
    notifier = stack.first("notifier")
    expected_notifier = len(sent[NOTIFIER_EMERGENCY_QUEUE]) + len(sent[NOTIFIER_RESULTS_QUEUE])
    assert await metric(notifier, "notifier_dead_letters_total") == expected_notifier
    await wait_for(lambda: len(mail.ops()) >= expected_notifier, what="ops told")
    assert len(mail.ops()) == expected_notifier, mail.ops()
    for group in stack.services.values():
        for service in group:
            assert service.process is not None and service.process.returncode is None
