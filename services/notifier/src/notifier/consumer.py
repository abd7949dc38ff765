"""The broker side: one consumer per queue, each on its own channel with its
own prefetch, so a backlog of routine results never delays an emergency.

A result is acked only after its alerts are recorded in the ledger. A failed
delivery goes to the next retry delay queue with an attempt header; after the
last attempt it is dead-lettered and ops are told. Unreadable messages go to
the dead-letter queue at once: no retry can fix them.

While the ledger's database is out of reach, an emergency's alerts go out
without it (notifier.unrecorded) and its retry copy records them later; every
other result waits in hand until the database answers, which also stops the
consumer taking more. Neither uses up a retry while the database is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel

from notifier import unrecorded
from notifier.dispatch import Dispatcher, Outcome, combine
from notifier.ledger import is_outage
from notifier.unrecorded import Sent
from shared.broker import Broker, BrokerUnavailable, dead_letter, header_int
from shared.codec import ContractError, decode
from shared.contracts import TriageResult, Urgency
from shared.topology import NOTIFIER_RETRY_DELAYS, retry_queue_name

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-notifier-attempt"
LEDGER_POLL_SECONDS = 1.0

T = TypeVar("T")


def retry_step(attempt: int, steps: int = len(NOTIFIER_RETRY_DELAYS)) -> int:
    """Delay queue for the retry after `attempt` (0-based): 5 s, 30 s, ... then the longest."""
    return min(attempt, steps - 1)


class Consumer:
    def __init__(
        self,
        broker: Broker,
        dispatcher: Dispatcher,
        queue: str,
        *,
        prefetch: int,
        max_attempts: int,
        retry_steps: Sequence[int] = NOTIFIER_RETRY_DELAYS,
    ) -> None:
        self._broker, self._dispatcher, self.queue = broker, dispatcher, queue
        self._prefetch, self._max_attempts = prefetch, max_attempts
        self._steps = len(retry_steps)
        self._channel: AbstractRobustChannel | None = None
        self._in_hand: set[asyncio.Future[Any]] = set()
        self._closing = False

    async def start(self) -> None:
        self._channel = await self._broker.consuming_channel(self._prefetch)
        # Declared (passively), not just looked up: only then does the robust
        # channel consume from it again after a reconnect (a broker restart).
        queue = await self._channel.get_queue(self.queue, ensure=True)
        await queue.consume(self.on_message)
        log.info("consumer.started", submission_id="-", queue=self.queue)

    async def close(self, grace: float = 10.0) -> None:
        self._closing = True
        # Alerts being sent finish first, so no ledger claim is left hanging.
        if self._in_hand:
            await asyncio.wait(set(self._in_hand), timeout=grace)
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            result = decode(TriageResult, message.body)
        except ContractError as exc:
            log.warning(
                "result.unreadable", submission_id=message.message_id or "-", reason=str(exc)
            )
            await self._dead_letter(message, None, f"unreadable: {exc}")
            return
        sent = unrecorded.read(message.headers)
        outcome = await self._shielded(self._dispatch(result, sent))
        if outcome.ledger_down and result.urgency is Urgency.EMERGENCY:
            sent = await self._shielded(unrecorded.send(self._dispatcher, result, sent))
        elif outcome.ledger_down:
            if not await self._ledger_back(result):
                return  # stopping: the broker hands the message to the next consumer
            outcome = await self._shielded(self._dispatch(result, sent))
        if outcome.ok:
            await message.ack()
            return
        await self._retry_or_give_up(message, result, outcome, sent)

    async def _shielded(self, work: Awaitable[T]) -> T:
        # A lost broker connection cancels this callback, and a dispatch cut
        # between its ledger claim and its finish would leave the claim to run
        # out its lease (alerts minutes late), or, cut after the send, send
        # again when it does. Finished, the claim is recorded and the
        # redelivered message finds it done.
        handling = asyncio.ensure_future(work)
        self._in_hand.add(handling)
        handling.add_done_callback(self._in_hand.discard)
        return await asyncio.shield(handling)

    async def _dispatch(self, result: TriageResult, sent: tuple[Sent, ...]) -> Outcome:
        sid = str(result.submission_id)
        if not self._dispatcher.ledger.ready:  # not migrated yet: its database was down
            return self._ledger_down(result, "not migrated")
        try:
            outcome = await self._dispatcher.handle(result, skip=unrecorded.keys(sent))
            if sent:  # whatever became of the rest: its own row was written above
                outcome = combine(
                    [outcome, await unrecorded.record(self._dispatcher, result, sent)]
                )
            return outcome
        except Exception as exc:  # database or provider blip: retry, never drop
            if is_outage(exc):
                return self._ledger_down(result, type(exc).__name__)
            log.exception("result.handle_failed", submission_id=sid)
            return Outcome(False, reason=f"{type(exc).__name__}")

    def _ledger_down(self, result: TriageResult, error: str) -> Outcome:
        log.warning("result.ledger_down", submission_id=str(result.submission_id), error=error)
        self._dispatcher.metrics.ledger_down.labels(result.urgency.value).inc()
        return Outcome(False, reason="ledger down", ledger_down=True)

    async def _ledger_back(self, result: TriageResult) -> bool:
        """Hold the result until the ledger answers (True) or the consumer stops."""
        log.warning("result.waiting_for_ledger", submission_id=str(result.submission_id))
        while not self._closing:
            if await self._dispatcher.ledger.ping():
                return True
            await asyncio.sleep(LEDGER_POLL_SECONDS)
        return False

    async def _retry_or_give_up(
        self,
        message: AbstractIncomingMessage,
        result: TriageResult,
        outcome: Outcome,
        sent: tuple[Sent, ...] = (),
    ) -> None:
        attempt = header_int(message.headers, ATTEMPT_HEADER)
        sid = str(result.submission_id)
        # A database that is really down is an outage to wait out, not a
        # failing result; one that answers a ping again spends the attempt.
        spent = 0 if outcome.ledger_down and not await self._dispatcher.ledger.ping() else 1
        if outcome.permanent or attempt + spent >= self._max_attempts:
            await self._dead_letter(
                message, result, f"after {attempt + 1} attempts: {outcome.reason}"
            )
            return
        headers = unrecorded.written(message.headers, sent) if sent else dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt + spent
        target = retry_queue_name(self.queue, retry_step(attempt, self._steps))
        try:
            await self._broker.publish(
                "", target, message.body, message_id=message.message_id or sid, headers=headers
            )
        except BrokerUnavailable:
            await self._requeue(message)
            return
        await message.ack()
        self._dispatcher.metrics.retries.labels(self.queue).inc()
        log.warning(
            "result.retry",
            submission_id=sid,
            attempt=attempt + 1,
            queue=target,
            reason=outcome.reason,
        )

    async def _dead_letter(
        self, message: AbstractIncomingMessage, result: TriageResult | None, reason: str
    ) -> None:
        try:
            await dead_letter(self._broker, message, self.queue, reason)
        except BrokerUnavailable:
            await self._requeue(message)
            return
        self._dispatcher.metrics.dead_letters.labels(self.queue).inc()
        sid = str(result.submission_id) if result else (message.message_id or "-")
        log.error("result.dead_lettered", submission_id=sid, reason=reason)
        await self._dispatcher.alert_ops(result, sid, reason)

    async def _requeue(self, message: AbstractIncomingMessage) -> None:
        # The broker cannot take the retry copy; let it redeliver the original.
        await asyncio.sleep(1.0)
        await message.nack(requeue=True)
