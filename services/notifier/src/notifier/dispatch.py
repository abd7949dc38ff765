"""Turning one triage result into alerts: plan, claim in the ledger, send,
record. Everything the broker consumer, the receipt endpoint and the
scheduler do to reach a person goes through here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from notifier import routing
from notifier.channels import DeliveryFailed, Sender
from notifier.ledger import Claim, Ledger
from notifier.metrics import Metrics
from notifier.rendering import Notice, ack_notice, ops_notice, staff_notice
from notifier.routing import Alert, Mode, Purpose
from notifier.routing_file import Channel, RoutingConfig
from notifier.throttling import may_send
from shared.contracts import TriageResult, Urgency

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False
    reason: str = ""
    ledger_down: bool = False  # the database was out of reach (notifier.unrecorded)


OK = Outcome(True)


def combine(outcomes: Sequence[Outcome]) -> Outcome:
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return OK
    return Outcome(False, all(o.permanent for o in failed), "; ".join(o.reason for o in failed))


@dataclass
class Dispatcher:
    config: RoutingConfig
    ledger: Ledger
    senders: Mapping[Channel, Sender]
    metrics: Metrics
    status_callback: str | None = None  # Twilio posts receipts here
    ack_submitter: bool = False
    ops_email: str = ""
    clock: Clock = field(default=utc_now)

    async def handle(
        self, result: TriageResult, skip: frozenset[tuple[str, str]] = frozenset()
    ) -> Outcome:
        """Alert as routing asks; `skip`: (recipient, channel) keys sent while the
        ledger was down, which `unrecorded.record` writes instead."""
        plan = routing.plan(self.config, result, self.clock(), ack_submitter=self.ack_submitter)
        self.metrics.results.labels(result.urgency.value).inc()
        if plan.spam:
            self.metrics.spam.inc()
            log.info("result.spam_counted", submission_id=str(result.submission_id))
            return OK
        # The same decisions as `deliver` makes for each alert, but the ledger work
        # of the whole result (record, park, claim) is one round-trip, plus one
        # for the throttle counts when a limit applies.
        parks: list[tuple[Alert, str]] = []
        claims: list[Alert] = []
        later: list[Alert] = []  # a second alert for the same ledger key: one at a time
        keys: set[tuple[str, Channel]] = set()
        sendable = [a for a in plan.alerts if a.mode is Mode.SEND and a.channel in self.senders]
        allowed = await self._may_send_all(result, sendable)
        for alert in plan.alerts:
            key = (alert.recipient, alert.channel)
            if (alert.recipient, alert.channel.value) in skip:
                keys.add(key)
                continue
            if key in keys:
                later.append(alert)
                continue
            if alert.mode is not Mode.SEND:
                parks.append((alert, "digest" if alert.mode is Mode.DIGEST else "held"))
            elif alert.channel not in self.senders:
                self._channel_off(result, alert)
                continue
            elif not allowed.get(alert, True):
                parks.append((alert, "throttled"))
            else:
                claims.append(alert)
            keys.add(key)
        claimed = await self.ledger.record_and_claim(result, claims, parks)
        for alert, status in parks:
            self._count(result, alert.channel, status)
        outcomes = list(
            await asyncio.gather(
                *(
                    self._send_claimed(result, alert, claim, delivery_id)
                    for alert, (claim, delivery_id) in zip(claims, claimed, strict=True)
                )
            )
        )
        for alert in later:
            outcomes.append(await self.deliver(result, alert))
        return combine(outcomes)

    async def deliver(self, result: TriageResult, alert: Alert) -> Outcome:
        if alert.mode is not Mode.SEND:
            status = "digest" if alert.mode is Mode.DIGEST else "held"
            await self.ledger.park(result, alert, status)
            self._count(result, alert.channel, status)
            return OK
        if alert.channel not in self.senders:
            self._channel_off(result, alert)
            return OK
        if alert.purpose is Purpose.STAFF and not await self._may_send(result, alert):
            await self.ledger.park(result, alert, "throttled")
            self._count(result, alert.channel, "throttled")
            return OK
        claim, delivery_id = await self.ledger.claim(result, alert)
        return await self._send_claimed(result, alert, claim, delivery_id)

    async def _send_claimed(
        self, result: TriageResult, alert: Alert, claim: Claim, delivery_id: int | None
    ) -> Outcome:
        if claim is not Claim.TAKEN or delivery_id is None:
            return OK if claim is Claim.DONE else Outcome(False, reason="claimed elsewhere")
        notice = ack_notice(result) if alert.purpose is Purpose.ACK else staff_notice(result)
        outcome = await self.send([delivery_id], alert.channel, alert.address, notice, result)
        if outcome.ok and alert.purpose is Purpose.STAFF:
            self.observe_latency(result, alert.channel)
        if not outcome.ok and alert.fallback is not None:
            return await self._fall_back(result, alert.fallback, delivery_id, outcome)
        return outcome

    def observe_latency(self, result: TriageResult, channel: Channel) -> None:
        """From the intake receiving the submission to a staff alert handed over."""
        waited = (self.clock() - result.submission.received_at).total_seconds()
        latency = self.metrics.alert_latency.labels(result.urgency.value, channel.value)
        latency.observe(max(waited, 0.0))  # another host's clock may run ahead

    async def _fall_back(
        self, result: TriageResult, backup: Alert, failed_id: int, failed: Outcome
    ) -> Outcome:
        log.warning(
            "alert.fallback", submission_id=str(result.submission_id), channel=backup.channel.value
        )
        outcome = await self.deliver(result, backup)
        if outcome.ok:
            # The backup has it: calling the first person again would only add noise.
            await self.ledger.finish([failed_id], "failed", error=failed.reason)
        return outcome

    async def _may_send(self, result: TriageResult, alert: Alert) -> bool:
        return (await self._may_send_all(result, [alert])).get(alert, True)

    async def _may_send_all(
        self, result: TriageResult, alerts: Sequence[Alert]
    ) -> dict[Alert, bool]:
        """Throttle decisions for staff alerts with a limit (one round-trip); the
        alerts missing from the answer may be sent."""
        if result.urgency is Urgency.EMERGENCY:
            return {}
        now = self.clock()
        limited = [
            (alert, limit)
            for alert in alerts
            if alert.purpose is Purpose.STAFF
            and (limit := self.config.throttle.get(alert.channel)) is not None
        ]
        if not limited:
            return {}
        counts = await self.ledger.sent_in_windows(
            [
                (
                    alert.recipient,
                    alert.channel.value,
                    now - timedelta(minutes=limit.window_minutes),
                    limit.limit,  # counting further cannot change the decision
                )
                for alert, limit in limited
            ]
        )
        return {
            alert: may_send(limit, result.urgency, sent)
            for (alert, limit), sent in zip(limited, counts, strict=True)
        }

    async def send(
        self,
        ids: list[int],
        channel: Channel,
        address: str,
        notice: Notice,
        result: TriageResult | None,
        *,
        done: str = "sent",
        failed: str = "error",
    ) -> Outcome:
        """Send one notice for ledger rows `ids` and record what happened."""
        sender = self.senders[channel]
        sid = str(result.submission_id) if result else "-"
        callback = self.status_callback if channel in (Channel.SMS, Channel.VOICE) else None
        try:
            provider_id = await sender.send(address, notice, status_callback=callback)
        except DeliveryFailed as exc:
            status = "failed" if exc.permanent and failed == "error" else failed
            await self.ledger.finish(ids, status, error=str(exc)[:500])
            self.metrics.alerts.labels(channel.value, status).inc()
            log.warning("alert.failed", submission_id=sid, channel=channel.value, error=str(exc))
            return Outcome(False, exc.permanent, f"{channel.value}: {exc}")
        await self.ledger.finish(ids, done, provider_id=provider_id, sent_at=self.clock())
        self.metrics.alerts.labels(channel.value, done).inc()
        log.info("alert.sent", submission_id=sid, channel=channel.value, rows=len(ids))
        return OK

    async def alert_ops(self, result: TriageResult | None, message_id: str, reason: str) -> None:
        """Tell ops a result is in the dead-letter queue; never raises."""
        await self.tell_ops(ops_notice(result, message_id, reason), message_id)

    async def tell_ops(self, notice: Notice, message_id: str) -> None:
        """Email ops; never raises, since it is the last resort of a failure path."""
        sender = self.senders.get(Channel.EMAIL)
        if not self.ops_email or sender is None:
            log.error("ops.not_configured", submission_id=message_id, notice=notice.subject)
            return
        try:
            await sender.send(self.ops_email, notice, status_callback=None)
        except DeliveryFailed as exc:
            log.error("ops.alert_failed", submission_id=message_id, error=str(exc))

    def _channel_off(self, result: TriageResult, alert: Alert) -> None:
        log.warning(
            "alert.channel_off",
            submission_id=str(result.submission_id),
            channel=alert.channel.value,
        )

    def _count(self, result: TriageResult, channel: Channel, status: str) -> None:
        self.metrics.alerts.labels(channel.value, status).inc()
        log.info(
            "alert.parked",
            submission_id=str(result.submission_id),
            channel=channel.value,
            status=status,
        )
