"""Helpers for the notifier integration tests: a test routing file, a settable
clock, result builders and a harness around the running service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from notifier.bootstrap import Service, start_service
from notifier.settings import NotifierSettings
from shared.broker import Broker
from shared.codec import encode
from shared.contracts import Reason, Submission, Topic, TriageResult, Urgency
from shared.forms import ContactFields
from shared.topology import (
    RESULTS_EXCHANGE,
)
from tests.support.smtp import SmtpServer
from tests.support.twilio import TwilioStandIn

ON_CALL_PHONE, BACKUP_PHONE = "+15550100001", "+15550100002"
ON_CALL_EMAIL, BACKUP_EMAIL = "oncall@example.org", "backup@example.org"
TEAM_EMAIL, OFFICE_EMAIL, OPS_EMAIL = "support@example.org", "office@example.org", "ops@example.org"


def routing_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "timezone": "UTC",
        "staff": [
            {"name": "olive", "email": ON_CALL_EMAIL, "phone": ON_CALL_PHONE, "teams": ["support"]},
            {"name": "bruno", "email": BACKUP_EMAIL, "phone": BACKUP_PHONE, "teams": ["support"]},
        ],
        "teams": {"support": {"email": TEAM_EMAIL}, "office": {"email": OFFICE_EMAIL}},
        "topics": {"care_support": "support", "symptoms": "support", "giving": "office"},
        "default_team": "office",
        "on_call": {"start": "2025-01-06", "weeks": [{"primary": "olive", "backup": "bruno"}]},
        "quiet_hours": {"start": "21:00", "end": "08:00"},
        "rules": [
            {"topic": ["spam"], "deliver": []},
            {
                "urgency": ["emergency"],
                "deliver": [
                    {"channel": "voice", "to": "on_call", "fallback": "backup"},
                    {"channel": "sms", "to": "on_call"},
                    {"channel": "email", "to": "on_call"},
                    {"channel": "chat", "to": "chat"},
                ],
            },
            {
                "urgency": ["urgent"],
                "deliver": [
                    {"channel": "sms", "to": "on_call", "quiet_hours": "hold"},
                    {"channel": "email", "to": "on_call"},
                ],
            },
            {"urgency": ["routine"], "deliver": [{"channel": "email", "to": "team_inbox"}]},
            {"urgency": ["low"], "deliver": [{"channel": "email", "to": "digest"}]},
        ],
        "throttle": {},
        "digest": {"at": "08:00", "to": ["office"]},
    }
    doc.update(overrides)
    return doc


class Clock:
    """A settable clock; noon UTC on a weekday by default (no quiet hours)."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_result(
    urgency: Urgency = Urgency.ROUTINE,
    topic: Topic = Topic.CARE_SUPPORT,
    *,
    name: str = "Maria Lopez",
    message: str = "My husband has ALS and we need help.",
    phone: str | None = "+1 555 010 7777",
    subject: str | None = "Help",
    email: str = "maria@example.com",
    **extra: Any,
) -> TriageResult:
    fields = ContactFields(name=name, email=email, phone=phone, subject=subject, message=message)
    return TriageResult(
        submission_id=uuid4(),
        urgency=urgency,
        topic=topic,
        topics=(topic,),
        score=0.9,
        reasons=(Reason(rule="test_rule", effect=f"urgency {urgency.value}", evidence="help"),),
        ruleset_version="test",
        language="en",
        submission=Submission(form="contact", fields=fields),
        **extra,
    )


async def wait_for(check: Callable[[], Any], within: float = 10.0, step: float = 0.05) -> Any:
    """Poll until `check()` is truthy; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            value = check()
            if isinstance(value, Awaitable):
                value = await value
            if value:
                return value
            await asyncio.sleep(step)


@dataclass
class Harness:
    settings: NotifierSettings
    smtp: SmtpServer
    twilio: TwilioStandIn
    clock: Clock
    broker: Broker
    db: Any
    service: Service | None = None

    async def start(self, **changes: Any) -> Service:
        settings = self.settings.model_copy(update=changes) if changes else self.settings
        self.service = await start_service(settings, clock=self.clock)
        return self.service

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
            self.service = None

    async def publish(self, result: TriageResult, body: bytes | None = None) -> None:
        await self.broker.publish(
            RESULTS_EXCHANGE,
            f"triaged.{result.urgency.value}",
            body if body is not None else encode(result),
            message_id=str(result.submission_id),
        )

    async def rows(self, submission_id: UUID) -> list[Any]:
        return list(
            await self.db.fetch(
                "SELECT * FROM deliveries WHERE submission_id = $1 ORDER BY id", submission_id
            )
        )

    async def statuses(self, submission_id: UUID) -> dict[tuple[str, str], str]:
        return {(r["recipient"], r["channel"]): r["status"] for r in await self.rows(submission_id)}

    async def has_statuses(self, submission_id: UUID, want: dict[tuple[str, str], str]) -> bool:
        """Each (recipient, channel) row of the submission is in the status wanted."""
        statuses = await self.statuses(submission_id)
        return all(statuses.get(key) == status for key, status in want.items())
