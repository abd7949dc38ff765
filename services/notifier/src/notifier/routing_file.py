"""The routing file: who the staff are, who is on call, and which urgency and
topic reach whom by which channel. Validated once at start-up, so a typo in a
name fails the deploy instead of silencing an emergency at 3 a.m."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.contracts import Topic, Urgency

# Rule targets that are not staff names.
ON_CALL = "on_call"
BACKUP = "backup"
TEAM_INBOX = "team_inbox"
DIGEST = "digest"
CHAT = "chat"
SPECIAL_TARGETS = frozenset({ON_CALL, BACKUP, TEAM_INBOX, DIGEST, CHAT})


class RoutingFileError(ValueError):
    """The routing file is unusable; the message names the file, path and reason."""


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    CHAT = "chat"


class QuietAction(StrEnum):
    SEND = "send"
    HOLD = "hold"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Staff(_Model):
    name: str = Field(min_length=1, max_length=60)
    email: str = Field(min_length=3)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    teams: tuple[str, ...] = ()


class Team(_Model):
    email: str = Field(min_length=3)


class Week(_Model):
    primary: str
    backup: str


class Override(_Model):
    week_of: date = Field(description="any day of the week this applies to")
    primary: str
    backup: str


class OnCall(_Model):
    start: date = Field(description="first day of the first rotation week")
    weeks: tuple[Week, ...] = Field(min_length=1, description="repeated in order, one a week")
    overrides: tuple[Override, ...] = ()


class QuietHours(_Model):
    start: time
    end: time


class Delivery(_Model):
    channel: Channel
    to: str = Field(description="on_call, backup, team_inbox, digest, chat, team:<t> or a name")
    quiet_hours: QuietAction = QuietAction.SEND
    fallback: str | None = Field(default=None, description="voice only: who is called next")


class Rule(_Model):
    urgency: tuple[Urgency, ...] = Field(default=(), description="empty: any urgency")
    topic: tuple[Topic, ...] = Field(default=(), description="empty: any topic")
    deliver: tuple[Delivery, ...] = ()

    def matches(self, urgency: Urgency, topic: Topic) -> bool:
        return (not self.urgency or urgency in self.urgency) and (
            not self.topic or topic in self.topic
        )


class Limit(_Model):
    window_minutes: int = Field(gt=0)
    limit: int = Field(gt=0)


class Digest(_Model):
    at: time = time(8, 0)
    to: tuple[str, ...] = Field(min_length=1, description="team names or staff names")


class RoutingConfig(_Model):
    timezone: str
    staff: tuple[Staff, ...] = Field(min_length=1)
    teams: dict[str, Team]
    topics: dict[Topic, str] = Field(description="topic -> team whose inbox gets it")
    default_team: str
    on_call: OnCall
    quiet_hours: QuietHours | None = None
    rules: tuple[Rule, ...] = Field(min_length=1, description="first match wins")
    throttle: dict[Channel, Limit] = Field(default_factory=dict)
    digest: Digest

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def person(self, name: str) -> Staff:
        return next(s for s in self.staff if s.name == name)

    @model_validator(mode="after")
    def _references_exist(self) -> Self:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        names = {s.name for s in self.staff}
        if len(names) != len(self.staff):
            raise ValueError("staff names must be unique")
        for person in self.staff:
            _known(person.teams, self.teams, f"team of {person.name}")
        _known((*self.topics.values(), self.default_team), self.teams, "team in topics")
        weeks: list[Week | Override] = [*self.on_call.weeks, *self.on_call.overrides]
        for week in weeks:
            _known((week.primary, week.backup), names, "on-call staff")
            for name in (week.primary, week.backup):
                if self.person(name).phone is None:
                    raise ValueError(f"on-call staff {name!r} has no phone")
        for target in self.digest.to:
            if target not in names and target not in self.teams:
                raise ValueError(f"digest.to: {target!r} is neither a team nor a staff name")
        for rule in self.rules:
            for delivery in rule.deliver:
                self._check_delivery(delivery, names)
        return self

    def _check_delivery(self, delivery: Delivery, names: set[str]) -> None:
        for target in filter(None, (delivery.to, delivery.fallback)):
            if target.startswith("team:"):
                _known((target[5:],), self.teams, "team")
            elif target not in SPECIAL_TARGETS:
                _known((target,), names, "staff")
        if delivery.channel in (Channel.SMS, Channel.VOICE) and (
            delivery.to in (TEAM_INBOX, DIGEST) or delivery.to.startswith("team:")
        ):
            raise ValueError(f"{delivery.channel.value} needs a person, not {delivery.to!r}")
        if delivery.to == DIGEST and delivery.channel is not Channel.EMAIL:
            raise ValueError("the digest is an email")
        if delivery.fallback and delivery.channel is not Channel.VOICE:
            raise ValueError("only a voice delivery can have a fallback")
        if (delivery.to == CHAT) != (delivery.channel is Channel.CHAT):
            raise ValueError("the chat channel goes to 'chat' and only there")


def _known(values: Any, known: Any, what: str) -> None:
    for value in values:
        if value not in known:
            raise ValueError(f"unknown {what} {value!r}")


def parse_routing(raw: Any, source: str) -> RoutingConfig:
    try:
        return RoutingConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        raise RoutingFileError(f"{source}: {problems}") from None


def load_routing(path: Path) -> RoutingConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RoutingFileError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RoutingFileError(f"{path}: not valid YAML: {exc}") from None
    return parse_routing(raw, str(path))
