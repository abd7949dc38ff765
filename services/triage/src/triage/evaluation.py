"""Scores of a classifier on labeled lines, as `triage evaluate` prints them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.contracts import Urgency

LEVELS = (Urgency.EMERGENCY, Urgency.URGENT, Urgency.ROUTINE, Urgency.LOW)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One labeled line next to what the classifier said about it."""

    truth: Urgency
    predicted: Urgency
    topics: tuple[str, ...]
    predicted_topic: str
    language: str


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def confusion(self) -> Counter[tuple[Urgency, Urgency]]:
        return Counter((o.truth, o.predicted) for o in self.outcomes)

    def per_class(self) -> dict[Urgency, tuple[float, float, float]]:
        matrix, out = self.confusion(), {}
        for level in LEVELS:
            tp = matrix[level, level]
            predicted = sum(matrix[t, level] for t in LEVELS)
            actual = sum(matrix[level, p] for p in LEVELS)
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[level] = (precision, recall, f1)
        return out

    def macro_f1(self) -> float:
        return sum(f for _, _, f in self.per_class().values()) / len(LEVELS)

    def topic_accuracy(self) -> float:
        right = sum(o.predicted_topic in o.topics for o in self.outcomes)
        return right / len(self.outcomes) if self.outcomes else 0.0

    def emergency_recall(self, language: str) -> float:
        real = [o for o in self.outcomes if o.truth is Urgency.EMERGENCY and o.language == language]
        return sum(o.predicted is Urgency.EMERGENCY for o in real) / len(real) if real else 1.0

    def urgent_or_worse_recall(self) -> float:
        real = [o for o in self.outcomes if o.truth.rank >= Urgency.URGENT.rank]
        hit = sum(o.predicted.rank >= Urgency.URGENT.rank for o in real)
        return hit / len(real) if real else 1.0

    def real_requests_as_spam(self) -> int:
        return sum(o.predicted_topic == "spam" and "spam" not in o.topics for o in self.outcomes)

    def spam_above_low(self) -> int:
        return sum(o.topics[0] == "spam" and o.predicted is not Urgency.LOW for o in self.outcomes)

    def lines(self) -> Iterable[str]:
        matrix = self.confusion()
        yield f"urgency confusion ({len(self.outcomes)} lines; rows = truth, columns = predicted)"
        yield " " * 10 + "".join(f"{u.value:>10}" for u in LEVELS)
        for truth in LEVELS:
            yield f"{truth.value:>10}" + "".join(f"{matrix[truth, p]:>10}" for p in LEVELS)
        yield ""
        yield f"{'':>10}{'precision':>10}{'recall':>10}{'f1':>10}"
        for level, (p, r, f) in self.per_class().items():
            yield f"{level.value:>10}{p:>10.2f}{r:>10.2f}{f:>10.2f}"
        yield ""
        yield f"urgency macro-F1:             {self.macro_f1():.3f}"
        yield f"topic accuracy:               {self.topic_accuracy():.3f}"
        for lang in sorted({o.language for o in self.outcomes}):
            yield f"emergency recall ({lang}):        {self.emergency_recall(lang):.2f}"
        yield f"emergency+urgent recall:      {self.urgent_or_worse_recall():.3f}"
        yield f"real requests labeled spam:   {self.real_requests_as_spam()}"
        yield f"spam above low:               {self.spam_above_low()}"
