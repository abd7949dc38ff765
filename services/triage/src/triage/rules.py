"""The rule-file schema, its loader and its compiler.

A rule file is YAML an organisation edits without code (see
`data/rules.yaml`). It is read and compiled once, at start-up; anything
wrong in it raises `RuleFileError` naming the file, the rule and the reason,
so a broken edit stops the worker instead of silently mis-triaging.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.contracts import Topic, Urgency
from triage.phrases import Matcher, PhraseIndex
from triage.text import deletions, normalise

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.yaml"
SCOPES = frozenset({"negation", "past", "hypothetical"})


class RuleFileError(ValueError):
    """The rule file cannot be used; the message names file, rule and reason."""


@dataclass(frozen=True, slots=True)
class UrgencyRule:
    name: str
    level: Urgency
    group: str
    weight: float
    topic: Topic | None
    personal: bool
    scopes: frozenset[str]
    matcher: Matcher
    with_: Matcher | None


@dataclass(frozen=True, slots=True)
class WeightedRule:
    """A topic or spam rule: each match adds `weight` to `topic`."""

    name: str
    topic: Topic
    weight: float
    matcher: Matcher


@dataclass(frozen=True, slots=True)
class Reassurance:
    name: str
    lowers: frozenset[str]
    matcher: Matcher


@dataclass(frozen=True, slots=True)
class Cues:
    negation_words: frozenset[str]
    negation_window: int
    past: Matcher
    # a past cue that puts the event so far back it is routine ("years ago")
    long_ago: Matcher | None
    hypothetical_before: Matcher
    hypothetical_sentence: Matcher


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    source: str
    cues: Cues
    urgency: tuple[UrgencyRule, ...]
    reassurances: tuple[Reassurance, ...]
    topics: tuple[WeightedRule, ...]
    spam: tuple[WeightedRule, ...]
    spam_threshold: float
    # spam at or above this stays spam even with a crisis word in it
    spam_certain: float
    low_topics: frozenset[Topic]
    priors: Mapping[str, Mapping[str, Mapping[Topic, float]]]
    fuzzy: Mapping[str, str]
    index: PhraseIndex


class _Ctx:
    """Where we are in the file, so every error can say so."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.where = "file"
        self.index = PhraseIndex()

    def fail(self, reason: str) -> RuleFileError:
        return RuleFileError(f"{self.source}: {self.where}: {reason}")


def load_rules(path: Path | None = None) -> RuleSet:
    path = path or DEFAULT_RULES
    ctx = _Ctx(path.name)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ctx.fail(f"cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ctx.fail(f"is not valid YAML: {_one_line(str(exc))}") from None
    if not isinstance(raw, dict):
        raise ctx.fail("must be a mapping with 'version', 'urgency' and 'topics'")
    rules = _compile(raw, ctx)
    rules.index.finish()
    return rules


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _compile(raw: dict[str, Any], ctx: _Ctx) -> RuleSet:
    version = _require(raw, "version", str, ctx)
    spam_raw = _require(raw, "spam", dict, ctx)
    return RuleSet(
        version=version,
        source=ctx.source,
        cues=_cues(_require(raw, "cues", dict, ctx), ctx),
        urgency=tuple(_urgency_rule(r, ctx) for r in _require(raw, "urgency", list, ctx)),
        reassurances=tuple(_reassurance(r, ctx) for r in raw.get("reassurances") or []),
        topics=tuple(_weighted(r, ctx, "topic") for r in _require(raw, "topics", list, ctx)),
        spam=tuple(_weighted(r, ctx, "spam") for r in _require(spam_raw, "rules", list, ctx)),
        spam_threshold=_number(spam_raw.get("threshold", 1.0), "threshold", ctx),
        spam_certain=_number(spam_raw.get("certain", math.inf), "certain", ctx),
        low_topics=frozenset(_topic(t, ctx) for t in raw.get("low_topics") or []),
        priors=_priors(raw.get("profile") or {}, ctx),
        fuzzy=_fuzzy(raw.get("fuzzy_words") or [], ctx),
        index=ctx.index,
    )


def _require(raw: Mapping[str, Any], key: str, kind: type, ctx: _Ctx) -> Any:
    if key not in raw:
        raise ctx.fail(f"missing required key '{key}'")
    value = raw[key]
    if not isinstance(value, kind):
        raise ctx.fail(f"'{key}' must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _number(value: object, key: str, ctx: _Ctx) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.fail(f"'{key}' must be a number, not {value!r}")
    return float(value)


def _topic(value: object, ctx: _Ctx) -> Topic:
    try:
        return Topic(str(value))
    except ValueError:
        known = ", ".join(t.value for t in Topic)
        raise ctx.fail(f"unknown topic '{value}' (known: {known})") from None


def _named(raw: object, ctx: _Ctx, section: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        ctx.where = f"{section} rules"
        raise ctx.fail(f"each rule must be a mapping, not {raw!r}")
    ctx.where = f"{section} rule '{raw.get('name', '?')}'"
    if not isinstance(raw.get("name"), str):
        raise ctx.fail("missing required key 'name'")
    return raw


def _urgency_rule(raw: object, ctx: _Ctx) -> UrgencyRule:
    rule = _named(raw, ctx, "urgency")
    level_name = _require(rule, "level", str, ctx)
    if level_name not in set(Urgency):
        raise ctx.fail(f"unknown urgency '{level_name}' (known: {', '.join(Urgency)})")
    level = Urgency(level_name)
    scopes = frozenset(rule.get("scopes", ["negation", "past", "hypothetical"]))
    if not scopes <= SCOPES:
        raise ctx.fail(f"unknown scopes {sorted(scopes - SCOPES)} (known: {sorted(SCOPES)})")
    topic = rule.get("topic")
    return UrgencyRule(
        name=rule["name"],
        level=level,
        group=str(rule.get("group", rule["name"])),
        weight=_number(rule.get("weight", 1.0), "weight", ctx),
        topic=None if topic is None else _topic(topic, ctx),
        personal=bool(rule.get("personal", False)),
        scopes=scopes,
        matcher=_matcher(rule, ctx),
        with_=_matcher(rule["with"], ctx) if "with" in rule else None,
    )


def _weighted(raw: object, ctx: _Ctx, section: str) -> WeightedRule:
    rule = _named(raw, ctx, section)
    topic = Topic.SPAM if section == "spam" else _topic(_require(rule, "topic", str, ctx), ctx)
    weight = _number(rule.get("weight", 1.0), "weight", ctx)
    return WeightedRule(rule["name"], topic, weight, _matcher(rule, ctx))


def _reassurance(raw: object, ctx: _Ctx) -> Reassurance:
    rule = _named(raw, ctx, "reassurance")
    lowers = _require(rule, "lowers", list, ctx)
    return Reassurance(rule["name"], frozenset(map(str, lowers)), _matcher(rule, ctx))


def _cues(raw: dict[str, Any], ctx: _Ctx) -> Cues:
    ctx.where = "cues"
    negation = _texts(_require(raw, "negation", list, ctx), "negation", ctx)
    return Cues(
        negation_words=frozenset(normalise(w) for w in negation),
        negation_window=int(_number(raw.get("negation_window", 3), "negation_window", ctx)),
        past=_matcher(_require(raw, "past", object, ctx), ctx),
        long_ago=_matcher(raw["long_ago"], ctx) if "long_ago" in raw else None,
        hypothetical_before=_matcher(_require(raw, "hypothetical_before", object, ctx), ctx),
        hypothetical_sentence=_matcher(_require(raw, "hypothetical_sentence", object, ctx), ctx),
    )


def _texts(values: list[object], key: str, ctx: _Ctx) -> list[str]:
    for value in values:
        if not isinstance(value, str):
            # YAML reads bare no/yes/on/off as booleans and 10 as a number.
            raise ctx.fail(f"'{key}' entry {value!r} must be text (put it in quotes)")
    return [str(v) for v in values]


def _matcher(raw: object, ctx: _Ctx) -> Matcher:
    if isinstance(raw, list):
        raw = {"phrases": raw}
    if not isinstance(raw, dict):
        raise ctx.fail(f"expected 'phrases' and/or 'patterns', not {raw!r}")
    phrases, patterns = raw.get("phrases") or [], raw.get("patterns") or []
    if not isinstance(phrases, list) or not isinstance(patterns, list):
        raise ctx.fail("'phrases' and 'patterns' must be lists")
    if not phrases and not patterns:
        raise ctx.fail("needs at least one entry in 'phrases' or 'patterns'")
    phrases = _texts(phrases, "phrases", ctx)
    for pattern in _texts(patterns, "patterns", ctx):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ctx.fail(f"pattern '{pattern}' is not a valid regex: {exc}") from None
        if re.compile(pattern).groupindex:
            raise ctx.fail(f"pattern '{pattern}' must not use named groups (?P<...>)")
    return ctx.index.add([normalise(p) for p in phrases], patterns)


def _priors(raw: object, ctx: _Ctx) -> dict[str, dict[str, dict[Topic, float]]]:
    ctx.where = "profile"
    if not isinstance(raw, dict):
        raise ctx.fail("must map 'role' and 'diagnosis' to per-value topic weights")
    out: dict[str, dict[str, dict[Topic, float]]] = {}
    for field, values in raw.items():
        if not isinstance(values, dict):
            raise ctx.fail(f"'{field}' must map each value to topic weights")
        out[str(field)] = {
            str(value): {
                _topic(t, ctx): _number(w, str(t), ctx) for t, w in (weights or {}).items()
            }
            for value, weights in values.items()
        }
    return out


def _fuzzy(words: object, ctx: _Ctx) -> dict[str, str]:
    """Map each one-letter-short spelling of a key word back to the word."""
    ctx.where = "fuzzy_words"
    if not isinstance(words, list):
        raise ctx.fail("must be a list of words")
    table: dict[str, str] = {}
    for word in (normalise(str(w)) for w in words):
        table[word] = word
        for short in deletions(word) if len(word) >= 6 else ():
            table.setdefault(short, word)
    return table
