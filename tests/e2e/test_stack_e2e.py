"""End to end: a form posted over HTTP ends as the alert routing asks for.

The services run as real processes (one intake, two triage workers, one
notifier) against the real broker and database, a real SMTP server and the
phone provider's stand-in.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import aio_pika
import aiohttp
import pytest

from shared.codec import encode
from shared.contracts import Submission
from shared.forms import ContactFields, FormKind
from shared.topology import SUBMISSIONS_EXCHANGE, TRIAGE_QUEUE
from tests.support.service_stack import Stack
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, INDIRECT_EMERGENCY, ROUTINE
from tests.support.twilio import TwilioStandIn

pytestmark = pytest.mark.e2e

ON_CALL_NUMBERS = {"+15550100001", "+15550100002"}

DONATION = {
    "name": "June Park",
    "email": "june@example.com",
    "subject": "Donation",
    "message": "I would like to make a donation in memory of my father. How do I do that?",
}


async def post(stack: Stack, fields: dict[str, Any], form: str = "contact") -> str:
    url = f"{stack.first('intake').url}/v1/forms/{form}"
    async with aiohttp.ClientSession() as session, session.post(url, json=fields) as response:
        assert response.status == 202, await response.text()
        body = await response.json()
    return str(body["id"])


async def wait_for(check: Callable[[], bool], timeout: float = 20, step: float = 0.005) -> float:
    """Poll until `check()` holds; return when it did (perf_counter)."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - external state (an inbox), no event to await
            await asyncio.sleep(step)
    return time.perf_counter()


def calls_about(phone: TwilioStandIn, submission_id: str) -> list[dict[str, str]]:
    # Voice carries the inquiry id (never health details), so staff can look it up.
    return [c for c in phone.calls() if submission_id[:8] in c.get("Twiml", "")]


async def test_an_emergency_becomes_a_phone_call_and_an_email_within_seconds(
    stack: Stack, smtp: SmtpServer, phone: TwilioStandIn
) -> None:
    started = time.perf_counter()
    submission_id = await post(stack, EMERGENCY)
    called = await wait_for(lambda: bool(calls_about(phone, submission_id)))
    emailed = await wait_for(lambda: bool(smtp.inbox.about(submission_id)))
    [call] = calls_about(phone, submission_id)
    assert call["To"] in ON_CALL_NUMBERS
    assert "breathe" not in call["Twiml"], "no health details on the phone"
    [email] = smtp.inbox.about(submission_id)
    assert "emergency" in str(email["Subject"]).lower()
    print(
        f"\nPOST to call request: {(called - started) * 1000:.0f} ms; "
        f"POST to email at SMTP: {(emailed - started) * 1000:.0f} ms"
    )


BACKLOG = 5000


async def test_an_emergency_with_no_danger_word_overtakes_a_backlog(
    stack: Stack, phone: TwilioStandIn, module_rabbitmq_url: str
) -> None:
    # Stems alone sent it to the back of the queue: 21,960 ms behind a 20,000 flood
    # (bench/bench_flood.py).
    spam = ContactFields(name="Bot", email="bot@example.net", message="Buy cheap followers now!!!")
    async with await aio_pika.connect(module_rabbitmq_url) as connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(SUBMISSIONS_EXCHANGE)
        for start in range(0, BACKLOG, 500):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(encode(Submission(form=FormKind.CONTACT, fields=spam))),
                        routing_key="submission.contact",
                    )
                    for _ in range(start, start + 500)
                )
            )
        submission_id = await post(stack, INDIRECT_EMERGENCY)
        await wait_for(lambda: bool(calls_about(phone, submission_id)), timeout=30)
        queue = await channel.declare_queue(TRIAGE_QUEUE, passive=True)
        assert queue.declaration_result.message_count > 0, "called only after the backlog"
        for _ in range(600):  # the next test meets an empty queue
            queue = await channel.declare_queue(TRIAGE_QUEUE, passive=True)
            if queue.declaration_result.message_count == 0:
                break
            await asyncio.sleep(0.2)


async def test_a_routine_question_goes_to_the_topic_team_inbox_only(
    stack: Stack, smtp: SmtpServer, phone: TwilioStandIn
) -> None:
    submission_id = await post(stack, ROUTINE)
    await wait_for(lambda: bool(smtp.inbox.about(submission_id)))
    [email] = smtp.inbox.about(submission_id)
    assert "programs@example.org" in str(email["To"])
    assert not calls_about(phone, submission_id)
    assert not [t for t in phone.texts() if submission_id[:8] in t["Body"]]


async def test_a_donation_waits_for_the_daily_digest(stack: Stack, smtp: SmtpServer) -> None:
    submission_id = await post(stack, DONATION)
    await asyncio.sleep(1.5)
    assert not smtp.inbox.about(submission_id), "low urgency is not alerted one by one"
    notifier = stack.first("notifier")
    digest = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "notifier", "digest", "--now", env=notifier.env
    )
    assert await asyncio.wait_for(digest.wait(), 60) == 0
    await wait_for(lambda: any(submission_id in _text(m) for m in smtp.inbox.to("office@")))


async def test_two_triage_workers_share_the_load(stack: Stack, smtp: SmtpServer) -> None:
    ids = await asyncio.gather(*(post(stack, ROUTINE) for _ in range(40)))
    await wait_for(lambda: all(smtp.inbox.about(i) for i in ids), timeout=60)
    shares = [await _classified(worker.url) for worker in stack.services["triage"]]
    assert all(share > 0 for share in shares), shares


async def test_the_workers_leave_the_cores_to_the_intake_and_the_broker_first(
    stack: Stack,
) -> None:
    # When the cores run short, queued work waits in its priority lanes; a post
    # waiting for the intake has none (shared.runtime.yield_cpu).
    def niceness(name: str) -> set[int]:
        return {
            os.getpriority(os.PRIO_PROCESS, service.process.pid)
            for service in stack.services[name]
            if service.process is not None
        }

    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness("intake") == {own}
    assert niceness("triage") == niceness("notifier") == {max(own, 5)}


async def test_every_service_keeps_its_start_up_heap_out_of_the_collectors_way(
    stack: Stack,
) -> None:
    # A full collection that walks the modules and the classifier again stalls
    # a service for tens of milliseconds mid-traffic (shared.runtime.freeze_heap).
    for group in stack.services.values():
        for service in group:
            frozen = [
                json.loads(line)["objects"]
                for line in service.logs().splitlines()
                if '"heap.frozen"' in line
            ]
            assert frozen and frozen[0] > 10_000, service.log_path.name


async def test_sigterm_on_every_service_loses_nothing_in_flight(
    stack: Stack, smtp: SmtpServer
) -> None:
    accepted: list[str] = []
    refused = 0

    async def keep_posting(count: int) -> None:
        nonlocal refused
        url = f"{stack.first('intake').url}/v1/forms/contact"
        async with aiohttp.ClientSession() as session:
            for _ in range(count):
                try:
                    async with session.post(url, json=ROUTINE) as response:
                        if response.status == 202:
                            accepted.append(str((await response.json())["id"]))
                        else:
                            refused += 1
                except aiohttp.ClientError:
                    refused += 1  # the client was told nothing was accepted: it retries
                await asyncio.sleep(0.005)

    posting = asyncio.create_task(keep_posting(300))
    for name in ("triage", "notifier", "intake"):
        await asyncio.sleep(0.3)
        for service in stack.services[name]:
            assert await service.stop() == 0, service.logs()[-3000:]
            await service.start()
    await posting
    for group in stack.services.values():
        for service in group:
            await service.wait_ready()
    await wait_for(lambda: all(smtp.inbox.about(i) for i in accepted), timeout=90, step=0.1)
    duplicates = sum(len(smtp.inbox.about(i)) - 1 for i in accepted)
    print(f"\naccepted {len(accepted)}, refused {refused}, duplicated alerts {duplicates}")
    assert accepted
    assert duplicates == 0


async def _classified(url: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(
        float(value)
        for value in re.findall(r"^triage_classified_total\{[^}]*\} (\S+)$", text, re.MULTILINE)
    )


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""
