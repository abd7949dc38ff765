"""The broker side: one consumer per queue, each on its own channel with its
own prefetch, so a backlog of routine results never delays an emergency.

A result is acked only after its alerts are recorded in the ledger. A failed
delivery goes to the next retry delay queue with an attempt header; after the
last attempt it is dead-lettered and ops are told. Unreadable messages go to
the dead-letter queue at once: no retry can fix them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel

from notifier.dispatch import Dispatcher, Outcome
from shared.broker import Broker, BrokerUnavailable, dead_letter, header_int
from shared.codec import ContractError, decode
from shared.contracts import TriageResult
from shared.topology import NOTIFIER_RETRY_DELAYS, retry_queue_name

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-notifier-attempt"


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
        self._in_hand: set[asyncio.Future[Outcome]] = set()

    async def start(self) -> None:
        self._channel = await self._broker.consuming_channel(self._prefetch)
        # Declared (passively), not just looked up: only then does the robust
        # channel consume from it again after a reconnect (a broker restart).
        queue = await self._channel.get_queue(self.queue, ensure=True)
        await queue.consume(self.on_message)
        log.info("consumer.started", submission_id="-", queue=self.queue)

    async def close(self, grace: float = 10.0) -> None:
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
        # Shielded: a lost broker connection cancels this callback, and a
        # dispatch cut between its ledger claim and its finish would leave the
        # claim to run out its lease (alerts minutes late), or, cut after the
        # send, send again when it does. Finished, the claim is recorded and
        # the redelivered message finds it done.
        handling = asyncio.ensure_future(self._dispatch(result))
        self._in_hand.add(handling)
        handling.add_done_callback(self._in_hand.discard)
        outcome = await asyncio.shield(handling)
        if outcome.ok:
            await message.ack()
            return
        await self._retry_or_give_up(message, result, outcome)

    async def _dispatch(self, result: TriageResult) -> Outcome:
        try:
            return await self._dispatcher.handle(result)
        except Exception as exc:  # database or provider blip: retry, never drop
            log.exception("result.handle_failed", submission_id=str(result.submission_id))
            return Outcome(False, reason=f"{type(exc).__name__}")

    async def _retry_or_give_up(
        self, message: AbstractIncomingMessage, result: TriageResult, outcome: Outcome
    ) -> None:
        attempt = header_int(message.headers, ATTEMPT_HEADER)
        sid = str(result.submission_id)
        if outcome.permanent or attempt + 1 >= self._max_attempts:
            await self._dead_letter(
                message, result, f"after {attempt + 1} attempts: {outcome.reason}"
            )
            return
        headers: dict[str, Any] = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt + 1
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
