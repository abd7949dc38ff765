"""Forwarding the spool to the broker in the background: what mentions danger
first, each kind oldest first."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from intake.metrics import IntakeMetrics
from intake.spool import Spool, SpoolEntry
from intake.submissions import publish_submission
from shared.broker import Broker, BrokerUnavailable
from shared.codec import ContractError, decode
from shared.contracts import Submission

log = structlog.get_logger(__name__)


class SpoolForwarder:
    """Publishes spooled files one at a time; deletes each only once confirmed.

    One at a time keeps the order (`Spool.next_entry`). While the broker is
    down it polls its readiness; after a failed publish it backs off up to
    `max_delay`.
    """

    def __init__(
        self,
        spool: Spool,
        broker: Broker,
        metrics: IntakeMetrics,
        *,
        poll: float = 0.25,
        max_delay: float = 5.0,
    ) -> None:
        self._spool = spool
        self._broker = broker
        self._metrics = metrics
        self._poll = poll
        self._max_delay = max_delay
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="spool-forwarder")

    def wake(self) -> None:
        """A new file is in the spool."""
        self._wake.set()

    async def close(self, drain_for: float = 5.0) -> None:
        """Stop, after a bounded last pass while the broker is still up (SIGTERM
        drains the spool too). What is left stays spooled for the next start; a
        file cut off mid-forward may then be published twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(TimeoutError, BrokerUnavailable, OSError):
            async with asyncio.timeout(drain_for):
                while self._broker.ready and (entry := self._spool.next_entry()) is not None:
                    await self._forward(entry)

    async def _run(self) -> None:
        delay = self._poll
        while True:
            self._wake.clear()
            entry = self._spool.next_entry()
            if entry is None:
                await self._wake.wait()
                continue
            if not self._broker.ready:
                await asyncio.sleep(self._poll)
                continue
            try:
                await self._forward(entry)
            except BrokerUnavailable as exc:
                log.warning("spool.forward_failed", file=entry.name, error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_delay)
                continue
            except Exception as exc:
                # A disk error or a bug: keep the file, keep the task alive, retry later.
                log.error("spool.forward_failed", file=entry.name, error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_delay)
                continue
            delay = self._poll

    async def _forward(self, entry: SpoolEntry) -> None:
        body = await self._spool.read(entry)
        try:
            submission = decode(Submission, body)
        except ContractError as exc:
            # No retry can fix it; keep it aside for a person, and go on.
            await self._spool.quarantine(entry)
            log.error("spool.quarantined", file=entry.name, reason=str(exc)[:200])
            return
        # Its lane was picked when it was accepted: the file's name carries it.
        await publish_submission(self._broker, submission, body, danger=entry.danger)
        await self._spool.remove(entry)
        self._metrics.forwarded.inc()
        log.info(
            "submission.forwarded",
            submission_id=str(submission.id),
            form=submission.form.value,
            spool_depth=self._spool.depth,
        )
