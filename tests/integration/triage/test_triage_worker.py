"""The triage worker against the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import orjson
import pytest
from aio_pika.abc import AbstractChannel

from shared.broker import DEAD_LETTER_REASON, Broker
from shared.codec import decode, encode
from shared.contracts import Submission, TriageResult, Urgency, submission_routing_key
from shared.topology import (
    NOTIFIER_EMERGENCY_QUEUE,
    NOTIFIER_RESULTS_QUEUE,
    SUBMISSIONS_EXCHANGE,
    TRIAGE_QUEUE,
)
from triage.engine import load_classifier
from triage.metrics import TriageMetrics
from triage.worker import TriageWorker

pytestmark = pytest.mark.integration

CLASSIFIER = load_classifier()


def contact(message: str) -> Submission:
    return Submission(
        form="contact",
        fields={"name": "Ana Test", "email": "ana@example.com", "message": message},
    )


async def start_worker(url: str, **kwargs: float) -> tuple[Broker, TriageWorker]:
    broker = Broker(url, client_name="triage-test")
    broker.start()
    assert await broker.wait_ready(10)
    worker = TriageWorker(broker, CLASSIFIER, TriageMetrics(), **kwargs)  # type: ignore[arg-type]
    await worker.start(prefetch=8)
    return broker, worker


async def stop_worker(broker: Broker, worker: TriageWorker) -> None:
    await worker.stop(grace=5)
    await broker.close()


@pytest.fixture
async def channel(isolated_rabbitmq_url: str) -> AsyncIterator[AbstractChannel]:
    connection = await aio_pika.connect(isolated_rabbitmq_url)
    async with connection:
        yield await connection.channel()


async def publish(channel: AbstractChannel, submission: Submission) -> None:
    exchange = await channel.get_exchange(SUBMISSIONS_EXCHANGE)
    await exchange.publish(
        aio_pika.Message(encode(submission), message_id=str(submission.id)),
        routing_key=submission_routing_key(submission),
    )


async def collect(channel: AbstractChannel, queue_name: str, count: int) -> list[TriageResult]:
    queue = await channel.get_queue(queue_name)
    results: list[TriageResult] = []
    async with asyncio.timeout(20):
        while len(results) < count:
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            results.append(decode(TriageResult, message.body))
            await message.ack()
    return results


async def queue_depth(channel: AbstractChannel, name: str) -> int:
    declared = await channel.declare_queue(name, passive=True)
    return declared.declaration_result.message_count or 0


async def test_an_emergency_result_goes_to_the_emergency_queue_and_the_submission_is_acked(
    isolated_rabbitmq_url: str, channel: AbstractChannel
) -> None:
    broker, worker = await start_worker(isolated_rabbitmq_url)
    try:
        emergency = contact("My husband is choking right now and his lips are turning blue")
        await publish(channel, emergency)
        [result] = await collect(channel, NOTIFIER_EMERGENCY_QUEUE, 1)
    finally:
        await stop_worker(broker, worker)
    assert result.submission_id == emergency.id
    assert result.urgency is Urgency.EMERGENCY
    assert result.submission == emergency
    assert result.reasons, "a staff member must see why"
    assert result.ruleset_version == CLASSIFIER.version
    assert await queue_depth(channel, TRIAGE_QUEUE) == 0


async def test_an_unreadable_message_is_dead_lettered_once_with_its_reason_and_work_goes_on(
    isolated_rabbitmq_url: str, channel: AbstractChannel
) -> None:
    broker, worker = await start_worker(isolated_rabbitmq_url)
    try:
        exchange = await channel.get_exchange(SUBMISSIONS_EXCHANGE)
        await exchange.publish(aio_pika.Message(b"{not json"), routing_key="submission.contact")
        future = contact("Do you have a loan closet with shower chairs?").model_dump(mode="json")
        future["schema_version"] = 99
        await exchange.publish(
            aio_pika.Message(orjson.dumps(future)),
            routing_key="submission.contact",
        )
        good = contact("Where can we find a physical therapist who knows ALS?")
        await publish(channel, good)
        [result] = await collect(channel, NOTIFIER_RESULTS_QUEUE, 1)
        dead_queue = await channel.get_queue(f"{TRIAGE_QUEUE}.dead")
        reasons = []
        for _ in range(2):
            corpse = await dead_queue.get(timeout=5)
            reasons.append(str(corpse.headers[DEAD_LETTER_REASON]))
            await corpse.ack()
    finally:
        await stop_worker(broker, worker)
    assert result.submission_id == good.id
    assert any(reason.startswith("bad JSON") for reason in reasons)
    assert any("unknown schema version 99" in reason for reason in reasons)
    assert await queue_depth(channel, f"{TRIAGE_QUEUE}.dead") == 0


async def test_a_result_the_broker_will_not_take_is_retried_a_bounded_number_of_times(
    isolated_rabbitmq_url: str, channel: AbstractChannel
) -> None:
    broker, worker = await start_worker(isolated_rabbitmq_url, retry_backoff=0.01)
    try:
        # With no queue bound, the broker returns every result unrouted: the
        # publish is never confirmed, so the submission must not be acked.
        for name in (NOTIFIER_EMERGENCY_QUEUE, NOTIFIER_RESULTS_QUEUE):
            await (await channel.get_queue(name)).delete(if_unused=False, if_empty=False)
        stuck = contact("Is there a support group near Tucson?")
        await publish(channel, stuck)
        dead_queue = await channel.get_queue(f"{TRIAGE_QUEUE}.dead")
        corpse = None
        async with asyncio.timeout(20):
            while corpse is None:
                corpse = await dead_queue.get(fail=False)
                await asyncio.sleep(0.05)
        await corpse.ack()
    finally:
        await stop_worker(broker, worker)
    assert corpse.message_id == str(stuck.id)
    assert worker_retries(worker) >= 4


def worker_retries(worker: TriageWorker) -> float:
    return worker._metrics.retried._value.get()  # type: ignore[attr-defined,no-any-return]


async def test_two_workers_share_one_queue_and_every_submission_is_classified_once(
    isolated_rabbitmq_url: str, channel: AbstractChannel
) -> None:
    first = await start_worker(isolated_rabbitmq_url)
    second = await start_worker(isolated_rabbitmq_url)
    sent = [contact(f"Question {n} about clinical trials for ALS") for n in range(60)]
    try:
        for submission in sent:
            await publish(channel, submission)
        results = await collect(channel, NOTIFIER_RESULTS_QUEUE, len(sent))
    finally:
        await stop_worker(*first)
        await stop_worker(*second)
    assert sorted(str(r.submission_id) for r in results) == sorted(str(s.id) for s in sent)
    shares = [_classified(first[1]), _classified(second[1])]
    assert sum(shares) == len(sent) and min(shares) > 0, shares


def _classified(worker: TriageWorker) -> float:
    samples = worker._metrics.classified.collect()[0].samples
    return sum(s.value for s in samples if s.name.endswith("_total"))
