"""Builders for the notifier's pure unit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from notifier.routing_file import RoutingConfig, load_routing
from notifier.settings import DEFAULT_ROUTING_FILE
from shared.contracts import Reason, Submission, Topic, TriageResult, Urgency
from shared.forms import ContactFields

ResultFactory = Callable[..., TriageResult]


def build_result(
    urgency: Urgency = Urgency.ROUTINE,
    topic: Topic = Topic.CARE_SUPPORT,
    *,
    name: str = "Maria Lopez",
    message: str = "We need help at home.",
    phone: str | None = "+1 555 010 7777",
    subject: str | None = None,
    **extra: Any,
) -> TriageResult:
    fields = ContactFields(
        name=name, email="maria@example.com", phone=phone, subject=subject, message=message
    )
    return TriageResult(
        submission_id=uuid4(),
        urgency=urgency,
        topic=topic,
        topics=(topic,),
        score=0.8,
        reasons=(
            Reason(rule="breathing_now", effect="urgency emergency", evidence="can't breathe"),
        ),
        ruleset_version="test",
        language="en",
        submission=Submission(form="contact", fields=fields),
        **extra,
    )


@pytest.fixture
def make_result() -> ResultFactory:
    return build_result


@pytest.fixture(scope="session")
def config() -> RoutingConfig:
    return load_routing(DEFAULT_ROUTING_FILE)
