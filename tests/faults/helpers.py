"""What the fault tests share: the stack factory's type, payloads, posting, counting
alerts, queues, logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiohttp
import asyncpg

from tests.support.service_stack import ServiceProcess, Stack
from tests.support.smtp import SmtpServer
from tests.support.twilio import TwilioStandIn

# The `make_stack` fixture: `await make_stack(rabbitmq_url, triage=2, notifiers=1, **env)`.
StackFactory = Callable[..., Awaitable[Stack]]

ON_CALL_NUMBERS = {"+15550100001", "+15550100002"}
ON_CALL_EMAILS = {"alex@example.org", "blair@example.org"}

# Staff subjects end with "(<submission id>)"; ops notices start with [NOTIFIER].
_SUBJECT_ID = re.compile(r"\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)\s*$")


@dataclass
class Mail:
    """Staff emails at the SMTP server, counted by submission id (from the subject)."""

    smtp: SmtpServer
    _seen: int = 0
    by_id: Counter[str] = field(default_factory=Counter)
    to_by_id: dict[str, list[str]] = field(default_factory=dict)
    # Message-IDs by (submission id, To): one each, even for an email sent twice.
    message_ids: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def refresh(self) -> Counter[str]:
        messages = self.smtp.inbox.messages
        for message in messages[self._seen : len(messages)]:
            match = _SUBJECT_ID.search(str(message["Subject"]))
            if match:
                self.by_id[match.group(1)] += 1
                self.to_by_id.setdefault(match.group(1), []).append(str(message["To"]))
                key = (match.group(1), str(message["To"]))
                self.message_ids.setdefault(key, set()).add(str(message["Message-ID"]))
            self._seen += 1
        return self.by_id

    def count(self, submission_id: str) -> int:
        return self.refresh()[submission_id]

    def ops(self) -> list[str]:
        return [str(m["Subject"]) for m in self.smtp.inbox.messages if "ops@" in str(m["To"])]


def calls_about(phone: TwilioStandIn, submission_id: str) -> list[dict[str, str]]:
    # Voice carries the first 8 characters of the inquiry id, never health details.
    return [c for c in phone.calls() if submission_id[:8] in c.get("Twiml", "")]


def texts_about(phone: TwilioStandIn, submission_id: str) -> list[dict[str, str]]:
    return [t for t in phone.texts() if submission_id in t.get("Body", "")]


@dataclass(frozen=True)
class Answer:
    status: int
    submission_id: str | None
    retry_after: str | None


async def post(
    session: aiohttp.ClientSession, intake: ServiceProcess, fields: dict[str, Any]
) -> Answer:
    async with session.post(f"{intake.url}/v1/forms/contact", json=fields) as response:
        body = await response.json(content_type=None)
        sid = str(body["id"]) if response.status == 202 else None
        return Answer(response.status, sid, response.headers.get("Retry-After"))


async def post_ok(stack: Stack, fields: dict[str, Any]) -> str:
    async with aiohttp.ClientSession() as session:
        answer = await post(session, stack.first("intake"), fields)
    assert answer.status == 202 and answer.submission_id, answer
    return answer.submission_id


async def wait_for(
    check: Callable[[], bool], timeout: float = 30, step: float = 0.05, what: str = ""
) -> float:
    """Poll until `check()` holds; return the seconds it took."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            while not check():  # noqa: ASYNC110 - external state (an inbox), no event
                await asyncio.sleep(step)
    except TimeoutError:
        raise AssertionError(f"not within {timeout}s: {what or check}") from None
    return time.monotonic() - started


async def metric(service: ServiceProcess, name: str) -> float:
    """Sum of every sample of a Prometheus metric on a service's /metrics."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{service.url}/metrics") as response,
    ):
        text = await response.text()
    pattern = rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$"
    return sum(float(v) for v in re.findall(pattern, text, re.MULTILINE))


def events(service: ServiceProcess, name: str) -> list[dict[str, Any]]:
    """The JSON log lines of one event from a service's log."""
    found = []
    for line in service.logs().splitlines():
        if f'"{name}"' not in line:
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("event") == name:
                found.append(entry)
    return found


async def take_all(url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take (and ack) every message waiting in a queue."""
    taken = []
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        source = await channel.get_queue(queue, ensure=True)
        while (message := await source.get(fail=False, timeout=5)) is not None:
            await message.ack()
            taken.append(message)
    finally:
        await connection.close()
    return taken


async def publish_raw(
    url: str, queue: str, body: bytes, *, message_id: str, headers: dict[str, Any] | None = None
) -> None:
    """Put bytes straight into a work queue (default exchange), confirmed."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        message = aio_pika.Message(
            body,
            message_id=message_id,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers=headers or {},
        )
        await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
    finally:
        await connection.close()


async def ledger_rows(database_url: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT id, submission_id::text AS submission_id, recipient, channel, status,"
            " attempts FROM deliveries ORDER BY id"
        )
        return [dict(r) for r in rows]
    finally:
        await connection.close()


async def ledger_key_holds(database_url: str) -> int:
    """Rows sharing one (submission, recipient, channel): must be none."""
    connection = await asyncpg.connect(database_url)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM (SELECT 1 FROM deliveries"
                " GROUP BY submission_id, recipient, channel HAVING count(*) > 1) AS dup"
            )
        )
    finally:
        await connection.close()
