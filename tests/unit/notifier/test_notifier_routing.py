"""Routing decisions with an injected clock: rotation, quiet hours, rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from notifier.routing import Alert, Mode, Purpose, in_quiet_hours, on_call_for, plan
from notifier.routing_file import Channel, RoutingConfig
from shared.contracts import Topic, TriageResult, Urgency

Factory = Callable[..., TriageResult]
NY = ZoneInfo("America/New_York")
NOON = datetime(2025, 3, 5, 12, 0, tzinfo=NY)  # rotation week 8: alex, backup blair
NIGHT = datetime(2025, 3, 5, 23, 0, tzinfo=NY)


def _by_channel(alerts: tuple[Alert, ...]) -> dict[Channel, Alert]:
    return {a.channel: a for a in alerts}


def _plan(config: RoutingConfig, result: TriageResult, now: datetime) -> dict[Channel, Alert]:
    return _by_channel(plan(config, result, now, ack_submitter=False).alerts)


def test_the_rotation_advances_weekly_and_repeats(config: RoutingConfig) -> None:
    assert on_call_for(config, date(2025, 1, 6)).primary == "alex"
    assert on_call_for(config, date(2025, 1, 12)).primary == "alex"
    assert on_call_for(config, date(2025, 1, 13)).primary == "blair"
    assert on_call_for(config, date(2025, 1, 20)).primary == "alex"
    assert on_call_for(config, date(2025, 1, 13)).backup == "alex"


def test_an_override_wins_for_its_week(config: RoutingConfig) -> None:
    raw = config.model_dump(mode="json")
    raw["on_call"]["overrides"] = [{"week_of": "2025-01-08", "primary": "blair", "backup": "alex"}]
    changed = RoutingConfig.model_validate(raw)
    assert on_call_for(changed, date(2025, 1, 10)).primary == "blair"
    assert on_call_for(changed, date(2025, 1, 13)).primary == "blair"  # the normal rotation
    assert on_call_for(changed, date(2025, 1, 20)).primary == "alex"


def test_quiet_hours_span_midnight_in_the_configured_zone(config: RoutingConfig) -> None:
    assert in_quiet_hours(config, NIGHT)
    assert in_quiet_hours(config, datetime(2025, 3, 6, 7, 59, tzinfo=NY))
    assert not in_quiet_hours(config, datetime(2025, 3, 6, 8, 0, tzinfo=NY))
    assert not in_quiet_hours(config, NOON)
    # 03:00 UTC is 22:00 in New York: quiet.
    assert in_quiet_hours(config, datetime(2025, 3, 6, 3, 0, tzinfo=ZoneInfo("UTC")))


def test_emergency_calls_on_call_with_backup_texts_and_emails(
    config: RoutingConfig, make_result: Factory
) -> None:
    alerts = _by_channel(
        plan(config, make_result(Urgency.EMERGENCY), NOON, ack_submitter=False).alerts
    )
    voice = alerts[Channel.VOICE]
    assert (voice.recipient, voice.address) == ("alex", "+15550100001")
    assert voice.fallback is not None and voice.fallback.recipient == "blair"
    assert voice.fallback.address == "+15550100002"
    assert alerts[Channel.SMS].recipient == "alex"
    assert alerts[Channel.EMAIL].address == "alex@example.org"
    assert alerts[Channel.CHAT].recipient == "chat"


def test_emergency_is_never_held_at_night(config: RoutingConfig, make_result: Factory) -> None:
    alerts = plan(config, make_result(Urgency.EMERGENCY), NIGHT, ack_submitter=False).alerts
    assert all(a.mode is Mode.SEND for a in alerts)


def test_urgent_holds_the_text_at_night_but_sends_the_email(
    config: RoutingConfig, make_result: Factory
) -> None:
    day = _plan(config, make_result(Urgency.URGENT), NOON)
    assert day[Channel.SMS].mode is Mode.SEND and Channel.VOICE not in day
    night = _by_channel(
        plan(config, make_result(Urgency.URGENT), NIGHT, ack_submitter=False).alerts
    )
    assert night[Channel.SMS].mode is Mode.HOLD
    assert night[Channel.EMAIL].mode is Mode.SEND


def test_routine_goes_to_the_topic_team(config: RoutingConfig, make_result: Factory) -> None:
    (alert,) = plan(
        config, make_result(Urgency.ROUTINE, Topic.THERAPY_REFERRAL), NOON, ack_submitter=False
    ).alerts
    assert (alert.recipient, alert.address) == ("team:programs", "programs@example.org")


def test_low_goes_to_the_digest(config: RoutingConfig, make_result: Factory) -> None:
    (alert,) = plan(
        config, make_result(Urgency.LOW, Topic.GIVING), NOON, ack_submitter=False
    ).alerts
    assert alert.mode is Mode.DIGEST and alert.recipient == "digest"


def test_spam_and_honeypot_alert_no_one(config: RoutingConfig, make_result: Factory) -> None:
    spam = plan(config, make_result(Urgency.LOW, Topic.SPAM), NOON, ack_submitter=True)
    assert spam.spam and spam.alerts == ()
    flagged = make_result(Urgency.URGENT, is_spam=True)
    assert plan(config, flagged, NOON, ack_submitter=True).spam


def test_the_submitter_ack_is_planned_only_when_asked(
    config: RoutingConfig, make_result: Factory
) -> None:
    result = make_result(Urgency.ROUTINE)
    assert all(
        a.purpose is Purpose.STAFF for a in plan(config, result, NOON, ack_submitter=False).alerts
    )
    acks = [
        a for a in plan(config, result, NOON, ack_submitter=True).alerts if a.purpose is Purpose.ACK
    ]
    assert [(a.recipient, a.address) for a in acks] == [("submitter", "maria@example.com")]
