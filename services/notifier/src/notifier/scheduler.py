"""The background loop: releases alerts held for quiet hours or throttled
(alone or as one bundle) and sends the daily digest. One replica at a time,
under an advisory lock; everything it needs is in the ledger, so restarts
lose nothing."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta

import structlog

from notifier import routing
from notifier.dispatch import Dispatcher, Outcome
from notifier.ledger import WAITING, Row
from notifier.rendering import bundle_notice, digest_notice, staff_notice
from notifier.routing_file import Channel
from notifier.throttling import Flush, flush

log = structlog.get_logger(__name__)

SCHEDULER_LOCK = 0x6E6F746966790001


class Scheduler:
    def __init__(self, dispatcher: Dispatcher, interval: float) -> None:
        self._d = dispatcher
        self._interval = interval

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the loop must outlive a bad tick (database blip)
                log.exception("scheduler.tick_failed")
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        async with self._d.ledger.exclusive(SCHEDULER_LOCK) as mine:
            if mine:
                await self.flush_waiting()
                await self.send_digest(force=False)

    async def flush_waiting(self) -> None:
        quiet = routing.in_quiet_hours(self._d.config, self._d.clock())
        groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for row in await self._d.ledger.waiting():
            if not (quiet and row.status == "held"):
                groups[(row.recipient, row.channel)].append(row)
        for (recipient, channel), rows in groups.items():
            await self._flush_group(recipient, Channel(channel), rows)

    async def _flush_group(self, recipient: str, channel: Channel, rows: list[Row]) -> None:
        limit = self._d.config.throttle.get(channel)
        sent = 0
        if limit is not None:
            since = self._d.clock() - timedelta(minutes=limit.window_minutes)
            sent = await self._d.ledger.sent_in_window(recipient, channel.value, since)
        decision = flush(limit, sent, len(rows))
        if decision is Flush.WAIT or channel not in self._d.senders:
            return
        taken = await self._d.ledger.take([r.id for r in rows], WAITING, "flushing")
        results = await self._d.ledger.results([r.submission_id for r in taken])
        ordered = [results[r.submission_id] for r in taken if r.submission_id in results]
        if not ordered:
            return
        notice = staff_notice(ordered[0]) if len(ordered) == 1 else bundle_notice(ordered)
        done = "sent" if len(ordered) == 1 else "bundled"
        await self._d.send(
            [r.id for r in taken],
            channel,
            taken[0].address,
            notice,
            ordered[0],
            done=done,
            failed="throttled",
        )

    async def send_digest(self, *, force: bool) -> Outcome:
        """Send the digest if it is due today and not sent yet; `force`: send now."""
        config, now = self._d.config, self._d.clock()
        day = routing.digest_day(config, now)
        if not force and (day is None or await self._d.ledger.digest_sent(day)):
            return Outcome(True)
        ids = await self._d.ledger.digest_ids()
        rows = await self._d.ledger.take(ids, ("digest",), "digesting") if ids else []
        results = await self._d.ledger.results([r.submission_id for r in rows])
        items = [results[r.submission_id] for r in rows if r.submission_id in results]
        outcome = Outcome(True)
        if items:
            label = (day or now.astimezone(config.tz).date()).isoformat()
            outcome = await self._d.send(
                [r.id for r in rows],
                Channel.EMAIL,
                self._digest_to(),
                digest_notice(items, label),
                None,
                done="digested",
                failed="digest",
            )
        if outcome.ok and day is not None and not force:
            await self._d.ledger.mark_digest(day, len(items))
        log.info("digest.done", submission_id="-", items=len(items), ok=outcome.ok)
        return outcome

    def _digest_to(self) -> str:
        config = self._d.config
        names = {s.name: s.email for s in config.staff}
        return ", ".join(
            config.teams[t].email if t in config.teams else names[t] for t in config.digest.to
        )
