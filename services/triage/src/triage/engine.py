"""The classifier: rules first, then the learned layer, combined by policy.

Policy in code: a rule hit may be softened by negation or the past by one
level (a past cue that is long ago, "years ago", caps it at routine), and
by one more level when the message reassures elsewhere ("he's fine now");
a hypothetical question caps it at routine; spam is `low` unless an
emergency survives those softenings (and the message is not overwhelmingly
advertising); the learned layer can only raise urgency; when two levels are
in play the higher one wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared.contracts import Reason, Topic, Urgency
from shared.forms import FormKind
from triage.language import language_of
from triage.matching import Found, Span
from triage.memo import WordMemo
from triage.model import DEFAULT_MODEL, Model, Prediction, load_model
from triage.rules import RuleSet, UrgencyRule, load_rules
from triage.text import Bounds, message_text, normalise
from triage.words import Text

_WORD6 = re.compile(r"\w{6,}")
_LOW = Urgency.LOW.rank
_ROUTINE = Urgency.ROUTINE.rank
_EMERGENCY = Urgency.EMERGENCY.rank


@dataclass(frozen=True, slots=True)
class Verdict:
    urgency: Urgency
    topic: Topic
    topics: tuple[Topic, ...]
    score: float
    reasons: tuple[Reason, ...]
    language: str
    is_spam: bool


@dataclass(frozen=True, slots=True)
class Hit:
    """One urgency rule that fired, after its context was taken into account."""

    rule: UrgencyRule
    rank: int
    evidence: str
    softened: str


class _Doc:
    """One message while it is classified; sentence bounds only when asked for."""

    __slots__ = ("_bounds", "fields", "found", "text")

    def __init__(self, text: str, found: Found, fields: Mapping[str, str | None]) -> None:
        self.text, self.found, self.fields = text, found, fields
        self._bounds: Bounds | None = None

    @property
    def bounds(self) -> Bounds:
        if self._bounds is None:
            self._bounds = Bounds(self.text)
        return self._bounds


@lru_cache(maxsize=8192)
def _reason(rule: str, effect: str, evidence: str = "") -> Reason:
    """A reason (frozen, so the same one is shared: validating a new one costs more)."""
    return Reason(rule=rule[:100], effect=effect[:100], evidence=evidence[:200])


class Classifier:
    """Compiled once; `classify` is pure and safe to call from one thread at a time."""

    def __init__(self, rules: RuleSet, model: Model | None = None) -> None:
        self.rules = rules
        self.model = model
        self.version = rules.version + (f"+model-{model.digest}" if model else "")
        self._fuzzy_prefixes = frozenset(w[:2] for w in rules.fuzzy.values())
        # word -> the key word it misspells, or "" (most words: spelled right)
        self._spelled: WordMemo[str] = WordMemo(self._fix)

    def classify(
        self, form: FormKind | str, fields: Mapping[str, str | None], honeypot: bool = False
    ) -> Verdict:
        parsed = self._text(normalise(message_text(fields)))
        text, words = parsed.text, parsed.words
        doc = _Doc(text, Found(self.rules.index, parsed), fields)
        hits = self._urgency_hits(doc)
        scores, reasons = self._topic_scores(doc, hits)
        spam, spam_reasons = self._spam_score(doc, scores)
        rule_topic = _ranked(scores, Topic.CARE_SUPPORT if hits else Topic.OTHER)[0]
        probs = self.model.predict_words(words, parsed.chars) if self.model else None
        if probs:
            for topic, p in probs.topics.items():
                scores[topic] = scores.get(topic, 0.0) + self.model_weight * p
        crisis = any(h.rank == _EMERGENCY for h in hits)
        # A crisis outweighs a spam verdict, unless the message is
        # overwhelmingly advertising ("Struggling to breathe? Our tea...").
        crisis = crisis and spam < self.rules.spam_certain
        is_spam = (honeypot or spam >= self.rules.spam_threshold) and not crisis
        if is_spam:
            scores = {Topic.SPAM: spam + 1.0}
        elif honeypot or spam >= self.rules.spam_threshold:
            spam_reasons.append(_reason("crisis_before_spam", "spam verdict overridden"))
        topics = _ranked(scores, Topic.CARE_SUPPORT if hits else Topic.OTHER)
        # The model may move the topic, but a personal request by the rules
        # stays personal: the model only ever raises urgency.
        low = self.rules.low_topics
        personal = topics[0] not in low or rule_topic not in low
        urgency, score, u_reasons = self._urgency(personal, hits, probs, is_spam)
        return Verdict(
            urgency=urgency,
            topic=topics[0],
            topics=topics,
            score=score,
            reasons=(*u_reasons, *reasons, *(spam_reasons if spam else ())),
            language=language_of(words),
            is_spam=is_spam,
        )

    model_weight = 1.5

    def spell(self, text: str) -> str:
        """Read a key word misspelled by one letter as the word itself."""
        return self._text(text).text

    def _text(self, text: str) -> Text:
        """`text` split into words, with misspelled key words corrected."""
        parsed = Text(text)
        if self.rules.fuzzy and any(map(self._spelled.__getitem__, parsed.words)):
            fixes = self._spelled
            parsed = Text(_WORD6.sub(lambda m: fixes[m.group()] or m.group(), text))
        return parsed

    def _fix(self, word: str) -> str:
        """The key word `word` misspells, or "" when it is not one (or is spelled right)."""
        if len(word) < 6:  # shorter words are never corrected
            return ""
        table = self.rules.fuzzy
        if word in table or word[:2] not in self._fuzzy_prefixes:
            fixed = table.get(word, word)
            return "" if fixed == word else fixed
        for i in range(len(word)):
            shorter = word[:i] + word[i + 1 :]
            if table.get(shorter) == shorter and not word.startswith(shorter):
                return shorter
        return ""

    def _urgency_hits(self, doc: _Doc) -> list[Hit]:
        found = doc.found
        matched = found.keys
        reassured = {
            group for r in self.rules.reassurances if r.matcher.key in matched for group in r.lowers
        }
        hits = []
        for rule in self.rules.urgency:
            if rule.matcher.key not in matched:
                continue
            if rule.with_ is not None and rule.with_.key not in matched:
                continue
            best: Hit | None = None
            for span in found.spans(rule.matcher):
                hit = self._scope(doc, rule, span, rule.group in reassured)
                if best is None or hit.rank > best.rank:
                    best = hit
                if best.rank == rule.level.rank:
                    break
            if best is not None:
                hits.append(best)
        return hits

    def _scope(self, doc: _Doc, rule: UrgencyRule, span: Span, reassured: bool) -> Hit:
        cues, text, found = self.rules.cues, doc.text, doc.found
        (start, end), rank, why = span, rule.level.rank, ""
        phrase = text[start:end]
        bounds = doc.bounds
        before = bounds.words_before(start, cues.negation_window)
        lo, hi = bounds.sentence(start, end)
        if "negation" in rule.scopes and any(w in cues.negation_words for w in before):
            why, rank = f"negated: '{' '.join(before)} {phrase}'", rank - 1
        elif "past" in rule.scopes and (past := found.within(cues.past, lo, hi)):
            why, rank = f"in the past or long-standing: '{past}'", rank - 1
            if cues.long_ago is not None and (ago := found.within(cues.long_ago, lo, hi)):
                why, rank = f"long ago: '{ago}'", _ROUTINE
        # A reassurance elsewhere ("he is fine now") lowers one more level:
        # "he choked last winter ... he's fine now" is not a call today.
        if reassured:
            why, rank = (why + "; " if why else "") + "reassured elsewhere in the message", rank - 1
        rank = max(rank, min(_ROUTINE, rule.level.rank))
        if "hypothetical" in rule.scopes and rank > _ROUTINE:
            cue = found.within(cues.hypothetical_before, bounds.clause_start(start), start)
            cue = cue or found.within(cues.hypothetical_sentence, lo, hi)
            if cue:
                rank, why = _ROUTINE, f"hypothetical: '{cue} ... {phrase}'"
        return Hit(rule, rank, phrase, why)

    def _topic_scores(self, doc: _Doc, hits: list[Hit]) -> tuple[dict[Topic, float], list[Reason]]:
        scores: dict[Topic, float] = {}
        reasons: list[Reason] = []
        matched = doc.found.keys
        for rule in self.rules.topics:
            if rule.matcher.key not in matched:
                continue
            found = [doc.text[a:b] for a, b in doc.found.spans(rule.matcher)]
            if found:
                gain = rule.weight * (1.0 + 0.5 * (min(len(found), 4) - 1))
                scores[rule.topic] = scores.get(rule.topic, 0.0) + gain
                reasons.append(_reason(rule.name, f"topic {rule.topic.value}", found[0]))
        for hit in hits:
            if hit.rule.topic is not None:
                gain = hit.rule.weight * 2.0 ** (hit.rank - _ROUTINE)
                scores[hit.rule.topic] = scores.get(hit.rule.topic, 0.0) + gain
        for field, table in self.rules.priors.items():
            for topic, weight in table.get(str(doc.fields.get(field) or ""), {}).items():
                if topic is not Topic.SPAM:
                    scores[topic] = scores.get(topic, 0.0) + weight
        return scores, reasons

    def _spam_score(self, doc: _Doc, scores: Mapping[Topic, float]) -> tuple[float, list[Reason]]:
        total, reasons = 0.0, []
        matched = doc.found.keys
        for rule in self.rules.spam:
            if rule.matcher.key not in matched:
                continue
            found = [doc.text[a:b] for a, b in doc.found.spans(rule.matcher)]
            if found:
                total += rule.weight * (1.0 + 0.5 * (min(len(found), 3) - 1))
                reasons.append(_reason(rule.name, "spam signal", found[0]))
        if total:
            for field, table in self.rules.priors.items():
                total += table.get(str(doc.fields.get(field) or ""), {}).get(Topic.SPAM, 0.0)
        return total, reasons

    def _urgency(
        self, personal: bool, hits: list[Hit], probs: Prediction | None, is_spam: bool
    ) -> tuple[Urgency, float, list[Reason]]:
        rank = _ROUTINE if personal else _LOW
        reasons: list[Reason] = []
        for hit in sorted(hits, key=lambda h: -h.rank):
            if hit.rule.personal and not personal:
                continue
            if hit.softened:
                reasons.append(
                    _reason(hit.rule.name, f"lowered to {_name(hit.rank)}", hit.softened)
                )
            else:
                reasons.append(_reason(hit.rule.name, f"urgency {_name(hit.rank)}", hit.evidence))
            rank = max(rank, hit.rank)
        if is_spam:
            return Urgency.LOW, 0.9, [_reason("spam", "urgency low", "spam is always low")]
        score = 0.6 if reasons else 0.5
        if self.model is not None and probs is not None:
            rank, score, extra = self.model.raise_urgency(rank, probs)
            reasons.extend(extra)
        return Urgency.from_rank(rank), score, reasons


def _name(rank: int) -> str:
    return Urgency.from_rank(rank).value


def _ranked(scores: Mapping[Topic, float], fallback: Topic) -> tuple[Topic, ...]:
    positive = sorted(((s, t) for t, s in scores.items() if s > 0), key=lambda x: -x[0])
    if not positive:
        return (fallback,)
    top = positive[0][0]
    return tuple(t for s, t in positive[:3] if s >= 0.5 * top)


def load_classifier(rules_path: Path | None = None, model_path: Path | None = None) -> Classifier:
    """Rules from `rules_path` (default: shipped rules) plus the shipped model if any."""
    path = model_path or DEFAULT_MODEL
    model = load_model(path) if path.exists() else None
    return Classifier(load_rules(rules_path), model)
