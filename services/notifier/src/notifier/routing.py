"""Routing decisions: which alerts one triage result causes, right now.

Pure: the clock is passed in, nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from notifier.routing_file import (
    BACKUP,
    CHAT,
    DIGEST,
    ON_CALL,
    TEAM_INBOX,
    Channel,
    Delivery,
    QuietAction,
    RoutingConfig,
    Week,
)
from shared.contracts import Topic, TriageResult, Urgency

SUBMITTER = "submitter"


class Mode(StrEnum):
    SEND = "send"
    HOLD = "hold"  # quiet hours: sent when they end
    DIGEST = "digest"  # collected into the daily digest


class Purpose(StrEnum):
    STAFF = "staff"
    ACK = "ack"  # the note to the person who wrote in


@dataclass(frozen=True)
class Alert:
    recipient: str  # the ledger key: a staff name, team:<t>, digest, chat, submitter
    channel: Channel
    address: str  # email address or phone number; empty for chat and digest
    mode: Mode = Mode.SEND
    purpose: Purpose = Purpose.STAFF
    fallback: Alert | None = None  # voice: who is called when this call fails


@dataclass(frozen=True)
class Plan:
    alerts: tuple[Alert, ...]
    spam: bool = False


def is_spam(result: TriageResult) -> bool:
    return result.topic is Topic.SPAM or result.is_spam or result.submission.honeypot_tripped


def on_call_for(config: RoutingConfig, day: date) -> Week:
    """Who is on call the week that holds `day` (weeks start on the start date's weekday)."""
    rotation = config.on_call
    for override in rotation.overrides:
        if _week_index(rotation.start, override.week_of) == _week_index(rotation.start, day):
            return Week(primary=override.primary, backup=override.backup)
    return rotation.weeks[_week_index(rotation.start, day) % len(rotation.weeks)]


def _week_index(start: date, day: date) -> int:
    return (day - start).days // 7


def in_quiet_hours(config: RoutingConfig, now: datetime) -> bool:
    quiet = config.quiet_hours
    if quiet is None:
        return False
    local = now.astimezone(config.tz).time()
    if quiet.start <= quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end  # spans midnight


def plan(
    config: RoutingConfig, result: TriageResult, now: datetime, *, ack_submitter: bool
) -> Plan:
    if is_spam(result):
        return Plan(alerts=(), spam=True)
    rule = next((r for r in config.rules if r.matches(result.urgency, result.topic)), None)
    deliveries = rule.deliver if rule else ()
    week = on_call_for(config, now.astimezone(config.tz).date())
    quiet = in_quiet_hours(config, now)
    alerts = [_alert(config, result, d, week, quiet) for d in deliveries]
    if ack_submitter:
        email = result.submission.fields.email
        alerts.append(Alert(SUBMITTER, Channel.EMAIL, email, purpose=Purpose.ACK))
    return Plan(alerts=tuple(alerts))


def _alert(
    config: RoutingConfig, result: TriageResult, delivery: Delivery, week: Week, quiet: bool
) -> Alert:
    recipient, address = _target(config, result.topic, delivery.to, delivery.channel, week)
    mode = Mode.SEND
    if delivery.to == DIGEST:
        mode = Mode.DIGEST
    elif (
        quiet
        and delivery.quiet_hours is QuietAction.HOLD
        and result.urgency is not Urgency.EMERGENCY  # an emergency is never held
    ):
        mode = Mode.HOLD
    fallback = None
    if delivery.fallback:
        name, phone = _target(config, result.topic, delivery.fallback, delivery.channel, week)
        if name != recipient:
            fallback = Alert(name, delivery.channel, phone)
    return Alert(recipient, delivery.channel, address, mode=mode, fallback=fallback)


def _target(
    config: RoutingConfig, topic: Topic, to: str, channel: Channel, week: Week
) -> tuple[str, str]:
    if to in (DIGEST, CHAT):
        return to, ""
    if to == TEAM_INBOX or to.startswith("team:"):
        team = to[5:] if to.startswith("team:") else config.topics.get(topic, config.default_team)
        return f"team:{team}", config.teams[team].email
    name = {ON_CALL: week.primary, BACKUP: week.backup}.get(to, to)
    person = config.person(name)
    address = person.email if channel is Channel.EMAIL else person.phone or ""
    return name, address


def digest_day(config: RoutingConfig, now: datetime) -> date | None:
    """The local day whose digest is due at `now`, or None before today's digest time."""
    local = now.astimezone(config.tz)
    return local.date() if local.time() >= config.digest.at else None
