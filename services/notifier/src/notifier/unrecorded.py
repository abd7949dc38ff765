"""Emergencies while the ledger's database is down.

The ledger is what keeps a redelivered result from alerting anyone twice, but
a person in crisis must not wait for a database. So an emergency's staff
alerts go out without a claim (`send`); what was sent travels with the
result's retry copy in a header (`read`, `written`), and the retry, once the
database answers, records those alerts (`record`) instead of sending them
again. A crash between the sends and the retry copy can still alert twice:
rare, and better than nobody called.

Sent this way, a call asks for no status callback (there is no ledger row to
match a receipt to yet), so an unanswered call does not move on to the backup;
the SMS and the email went out alongside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from notifier.channels import DeliveryFailed
from notifier.dispatch import OK, Dispatcher, Outcome
from notifier.ledger import Claim
from notifier.rendering import staff_notice
from notifier.routing import Alert, Mode, Purpose, plan
from shared.contracts import TriageResult

log = structlog.get_logger(__name__)

HEADER = "x-sent-unrecorded"


@dataclass(frozen=True)
class Sent:
    recipient: str
    channel: str
    status: str  # "sent"; "failed" for a call that went on to a backup who took it
    provider_id: str


def read(headers: Mapping[str, Any] | None) -> tuple[Sent, ...]:
    """What earlier deliveries of this result sent without the ledger."""
    raw = (headers or {}).get(HEADER)
    try:
        items = json.loads(raw) if isinstance(raw, str | bytes) else []
    except ValueError:
        return ()
    return tuple(
        Sent(*item)
        for item in items
        if isinstance(item, list) and len(item) == 4 and all(isinstance(x, str) for x in item)
    )


def written(headers: Mapping[str, Any] | None, sent: tuple[Sent, ...]) -> dict[str, Any]:
    return {
        **(headers or {}),
        HEADER: json.dumps([[s.recipient, s.channel, s.status, s.provider_id] for s in sent]),
    }


def keys(sent: tuple[Sent, ...]) -> frozenset[tuple[str, str]]:
    return frozenset((s.recipient, s.channel) for s in sent)


async def send(
    dispatcher: Dispatcher, result: TriageResult, before: tuple[Sent, ...]
) -> tuple[Sent, ...]:
    """Send the staff alerts `before` does not hold; return all that went out."""
    done = keys(before)
    sent = list(before)
    for alert in _planned(dispatcher, result):
        staff = alert.mode is Mode.SEND and alert.purpose is Purpose.STAFF
        if staff and (alert.recipient, alert.channel.value) not in done:
            sent += await _send_chain(dispatcher, result, alert)
    return tuple(sent)


def _planned(dispatcher: Dispatcher, result: TriageResult) -> tuple[Alert, ...]:
    return plan(dispatcher.config, result, dispatcher.clock(), ack_submitter=False).alerts


async def _send_chain(dispatcher: Dispatcher, result: TriageResult, first: Alert) -> list[Sent]:
    """The alert, else its fallbacks in turn. Nothing is returned unless someone
    was reached, so a chain that failed whole is tried again next time."""
    failed: list[Sent] = []
    alert: Alert | None = first
    while alert is not None and alert.channel in dispatcher.senders:
        try:
            provider_id = await dispatcher.senders[alert.channel].send(
                alert.address, staff_notice(result), status_callback=None
            )
        except DeliveryFailed as exc:
            dispatcher.metrics.alerts.labels(alert.channel.value, "error").inc()
            log.warning(
                "alert.failed",
                submission_id=str(result.submission_id),
                channel=alert.channel.value,
                error=str(exc),
            )
            failed.append(Sent(alert.recipient, alert.channel.value, "failed", ""))
            alert = alert.fallback
            continue
        dispatcher.metrics.alerts.labels(alert.channel.value, "sent_unrecorded").inc()
        dispatcher.observe_latency(result, alert.channel)
        log.warning(
            "alert.sent_unrecorded",
            submission_id=str(result.submission_id),
            channel=alert.channel.value,
        )
        return [*failed, Sent(alert.recipient, alert.channel.value, "sent", provider_id)]
    return []


async def record(dispatcher: Dispatcher, result: TriageResult, sent: tuple[Sent, ...]) -> Outcome:
    """Write what was sent without the ledger into it, now that it answers.
    The result's own row must exist (`Dispatcher.handle` writes it)."""
    alerts: dict[tuple[str, str], Alert] = {}
    for planned in _planned(dispatcher, result):
        chain: Alert | None = planned
        while chain is not None:
            alerts[(chain.recipient, chain.channel.value)] = chain
            chain = chain.fallback
    for item in sent:
        alert = alerts.get((item.recipient, item.channel))
        if alert is None:  # the routing changed since: no row to put it in
            log.warning("alert.unrecorded_dropped", submission_id=str(result.submission_id))
            continue
        claim, delivery_id = await dispatcher.ledger.claim(result, alert)
        if claim is Claim.BUSY:
            return Outcome(False, reason="claimed elsewhere")
        if claim is Claim.TAKEN and delivery_id is not None:
            sent_at = dispatcher.clock() if item.status == "sent" else None
            await dispatcher.ledger.finish(
                [delivery_id], item.status, provider_id=item.provider_id or None, sent_at=sent_at
            )
            log.info(
                "alert.recorded", submission_id=str(result.submission_id), channel=item.channel
            )
    return OK
