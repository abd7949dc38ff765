"""Versioned message contracts, shared by every producer and consumer.

Each event carries `schema_version`; a consumer that meets a version it does
not know dead-letters the message instead of guessing. Events are frozen:
once built they are facts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.forms import ContactFields, FormFields, FormKind, ProfileFields

SUBMISSION_SCHEMA: Literal[1] = 1
TRIAGE_RESULT_SCHEMA: Literal[1] = 1


class Urgency(StrEnum):
    """Ordered highest first, as the triage policy defines them."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher means more urgent: low=0 ... emergency=3."""
        return _RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Urgency:
        return _BY_RANK[max(0, min(3, rank))]


_RANK = {Urgency.LOW: 0, Urgency.ROUTINE: 1, Urgency.URGENT: 2, Urgency.EMERGENCY: 3}
_BY_RANK = {rank: urgency for urgency, rank in _RANK.items()}


class Topic(StrEnum):
    CARE_SUPPORT = "care_support"
    SYMPTOMS = "symptoms"
    THERAPY_REFERRAL = "therapy_referral"
    EQUIPMENT = "equipment"
    FINANCIAL = "financial"
    RESEARCH = "research"
    GIVING = "giving"
    ORGANIZATION = "organization"
    OTHER = "other"
    SPAM = "spam"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClientMeta(_Event):
    """Where a submission came from, without anything that identifies a person.

    The raw IP address never leaves the intake: `client_hash` is a keyed hash
    of it, enough to see that two submissions came from one client.
    """

    client_hash: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=200)
    origin: str | None = Field(default=None, max_length=200)
    content_type: str | None = Field(default=None, max_length=100)


class Submission(_Event):
    """One accepted web-form submission (routing key `submission.<form>`)."""

    schema_version: Literal[1] = SUBMISSION_SCHEMA
    id: UUID = Field(default_factory=uuid4)
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    form: FormKind
    fields: FormFields
    client: ClientMeta = ClientMeta()
    honeypot_tripped: bool = False
    idempotency_key: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _fields_match_form(self) -> Self:
        expected = ContactFields if self.form is FormKind.CONTACT else ProfileFields
        if not isinstance(self.fields, expected):
            raise ValueError(f"fields do not match the {self.form.value} form")
        return self


class Reason(_Event):
    """One piece of evidence behind a verdict, in words a staff member reads."""

    rule: str = Field(max_length=100)
    effect: str = Field(max_length=100, description="what it did, e.g. 'urgency emergency'")
    evidence: str = Field(default="", max_length=200, description="the phrase that fired")


class TriageResult(_Event):
    """The triage verdict for one submission (routing key `triaged.<urgency>`)."""

    schema_version: Literal[1] = TRIAGE_RESULT_SCHEMA
    submission_id: UUID
    urgency: Urgency
    topic: Topic
    topics: tuple[Topic, ...] = Field(
        description="the primary topic first, then other plausible ones"
    )
    score: float = Field(ge=0.0, le=1.0, description="confidence in the urgency")
    reasons: tuple[Reason, ...] = ()
    ruleset_version: str
    language: str = Field(max_length=8)
    is_spam: bool = False
    classified_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    submission: Submission = Field(description="the whole submission, for the staff who answer it")

    @model_validator(mode="after")
    def _topic_first(self) -> Self:
        if not self.topics or self.topics[0] is not self.topic:
            raise ValueError("topics must start with the primary topic")
        return self


def submission_routing_key(submission: Submission) -> str:
    return f"submission.{submission.form.value}"


def result_routing_key(result: TriageResult) -> str:
    return f"triaged.{result.urgency.value}"
