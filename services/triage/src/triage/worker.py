"""The RabbitMQ side of triage: consume a submission, classify, publish, ack.

The ack comes only after the broker has confirmed the result, so a crash at
any point leaves the submission in the queue for another worker.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustChannel

from shared.broker import Broker, BrokerUnavailable, dead_letter, header_int
from shared.codec import ContractError, decode, encode
from shared.contracts import (
    Reason,
    Submission,
    Topic,
    TriageResult,
    Urgency,
    result_routing_key,
)
from shared.topology import RESULTS_EXCHANGE, TRIAGE_QUEUE
from triage.engine import Classifier, Verdict
from triage.metrics import TriageMetrics

log = structlog.get_logger(__name__)

# A classifier failure is escalated to a person rather than lost or guessed:
# `urgent` pages the on-call staff without phoning them at night for spam.
FAILED_VERDICT_URGENCY = Urgency.URGENT


def build_result(submission: Submission, verdict: Verdict, ruleset_version: str) -> TriageResult:
    return TriageResult(
        submission_id=submission.id,
        urgency=verdict.urgency,
        topic=verdict.topic,
        topics=verdict.topics,
        score=verdict.score,
        reasons=verdict.reasons,
        ruleset_version=ruleset_version,
        language=verdict.language,
        is_spam=verdict.is_spam,
        submission=submission,
    )


def classify_or_escalate(classifier: Classifier, submission: Submission) -> Verdict:
    fields = submission.fields.model_dump(mode="json")
    try:
        return classifier.classify(submission.form, fields, honeypot=submission.honeypot_tripped)
    except Exception as exc:  # any engine bug must still reach a person
        log.error("triage.classifier_failed", submission_id=str(submission.id), error=repr(exc))
        reason = Reason(
            rule="classifier_failed", effect="urgency urgent", evidence=type(exc).__name__
        )
        return Verdict(
            urgency=FAILED_VERDICT_URGENCY,
            topic=Topic.OTHER,
            topics=(Topic.OTHER,),
            score=0.0,
            reasons=(reason,),
            language="und",
            is_spam=False,
        )


class TriageWorker:
    def __init__(
        self,
        broker: Broker,
        classifier: Classifier,
        metrics: TriageMetrics,
        queue: str = TRIAGE_QUEUE,
        retry_backoff: float = 0.2,
    ) -> None:
        self._broker = broker
        self._classifier = classifier
        self._metrics = metrics
        self._queue = queue
        self._retry_backoff = retry_backoff
        self._channel: AbstractRobustChannel | None = None
        self._consuming: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_hand: set[asyncio.Task[None]] = set()

    async def start(self, prefetch: int) -> None:
        self._channel = await self._broker.consuming_channel(prefetch)
        # Declared (passively) rather than looked up: only a declared queue is
        # registered with the robust channel, which consumes from it again after
        # a reconnect. With get_queue(ensure=False) a broker restart silently
        # ended consumption for good.
        self._consuming = await self._channel.get_queue(self._queue, ensure=True)
        self._consumer_tag = await self._consuming.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._in_hand.add(task)
        try:
            await self.handle(message)
        finally:
            self._in_hand.discard(task)

    async def handle(self, message: AbstractIncomingMessage) -> None:
        try:
            submission = decode(Submission, message.body)
        except ContractError as exc:
            await self._dead_letter(message, str(exc))
            return
        started = time.perf_counter()
        verdict = classify_or_escalate(self._classifier, submission)
        self._metrics.classify_seconds.observe(time.perf_counter() - started)
        result = build_result(submission, verdict, self._classifier.version)
        try:
            await self._broker.publish(
                RESULTS_EXCHANGE,
                result_routing_key(result),
                encode(result),
                message_id=str(submission.id),
                headers={"schema_version": result.schema_version},
                channel=self._channel,
            )
        except BrokerUnavailable as exc:
            await self._retry_later(message, submission, exc)
            return
        await message.ack()
        self._metrics.classified.labels(result.urgency.value, result.topic.value).inc()
        log.info(
            "triage.classified",
            submission_id=str(submission.id),
            urgency=result.urgency.value,
            topic=result.topic.value,
            rules=[reason.rule for reason in result.reasons][:8],
        )

    async def _retry_later(
        self, message: AbstractIncomingMessage, submission: Submission, exc: Exception
    ) -> None:
        # The queue's delivery limit bounds the retries; the pause keeps a
        # struggling broker from being hammered by instant redeliveries.
        attempt = header_int(message.headers, "x-delivery-count")
        log.warning(
            "triage.publish_failed",
            submission_id=str(submission.id),
            attempt=attempt,
            error=str(exc),
        )
        self._metrics.retried.inc()
        await asyncio.sleep(min(self._retry_backoff * 2**attempt, 5.0))
        await message.nack(requeue=True)

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        log.error("triage.dead_letter", message_id=message.message_id, reason=reason[:200])
        self._metrics.dead_lettered.labels(reason.split(":")[0][:40]).inc()
        try:
            await dead_letter(self._broker, message, self._queue, reason, channel=self._channel)
        except BrokerUnavailable:
            await message.reject(requeue=False)

    async def stop(self, grace: float) -> None:
        """Stop taking messages, finish those in hand, then let go of the rest."""
        if self._consuming is not None and self._consumer_tag is not None:
            await self._consuming.cancel(self._consumer_tag)
        if self._in_hand:
            await asyncio.wait(set(self._in_hand), timeout=grace)
        if self._channel is not None:
            await self._channel.close()
