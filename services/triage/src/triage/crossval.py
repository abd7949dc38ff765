"""Cross-validation for `triage train`: the model of the other folds scored
with the rules on each held-out fold, over a small grid of raise thresholds.

The rules were written from these same lines, so their held-out recall is
near 1 and says nothing about wording they have not seen; on sets written
blind they found two emergencies in three (bench/RESULTS.md, seventh
session). So the emergency threshold is chosen apart, by the model's own
held-out precision: the lowest at which the model alone, on lines it did
not train on, is right about an emergency EMERGENCY_PRECISION of the time.
The other thresholds: the best pooled macro-F1 that keeps emergency recall
at least at the rules-only level.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contracts import Urgency
from triage.engine import Classifier
from triage.evaluation import LEVELS, Outcome, Report
from triage.model import Model, Prediction, raised
from triage.rules import load_rules
from triage.text import message_text, normalise
from triage.training import train

# The grid the cross-validation tries.
GRID_EMERGENCY: tuple[float | None, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, None)
GRID_URGENT: tuple[float | None, ...] = (0.6, 0.8, 0.9, None)
GRID_JUMP: tuple[float, ...] = (0.8, 0.95)
FOLDS = 5
# A raise to emergency phones someone at once: the model must be right nine
# times in ten, judged on at least MIN_CALLS held-out raises.
EMERGENCY_PRECISION = 0.9
MIN_CALLS = 20


@dataclass(frozen=True, slots=True)
class _Held:
    """One held-out line, classified once by rules + the model of its fold."""

    truth: Urgency
    topics: tuple[str, ...]
    language: str
    topic: str  # the predicted topic (the thresholds do not move it)
    rank: int  # the urgency before the model may raise it
    is_spam: bool  # spam stays low whatever the model says
    pred: Prediction


@dataclass(slots=True)
class Trial:
    """One point of the threshold grid, scored over all folds."""

    thresholds: dict[str, float | None]
    report: Report
    raised: int  # lines the model raised

    def key(self) -> tuple[float, float, float]:
        """Better first: macro-F1, then emergency precision, then the readier to raise.

        Held-out folds cannot tell thresholds apart where the rules, written
        from these lines, already reach every level: there the policy's own
        tie-break decides, "when torn, the higher urgency".
        """
        caution = sum(2.0 if v is None else v for v in self.thresholds.values())
        return self.report.macro_f1(), self.report.per_class()[Urgency.EMERGENCY][0], -caution


@dataclass(slots=True)
class CrossValidation:
    folds: int
    rules_only: Report
    trials: list[Trial] = field(default_factory=list)
    # per held-out line: is it an emergency, and the model's P(emergency)
    model_emergency: list[tuple[bool, float]] = field(default_factory=list)

    def floor(self) -> float:
        """Emergency recall the model must keep: what the rules reach alone."""
        return self.rules_only.per_class()[Urgency.EMERGENCY][1]

    def calls(self, threshold: float) -> tuple[int, float]:
        """Held-out lines the model alone calls emergencies at `threshold`, and its precision."""
        calls = [truth for truth, p in self.model_emergency if p >= threshold]
        return len(calls), sum(calls) / len(calls) if calls else 0.0

    def emergency_threshold(self) -> float | None:
        for threshold in sorted(t for t in GRID_EMERGENCY if t is not None):
            count, precision = self.calls(threshold)
            if count >= MIN_CALLS and precision >= EMERGENCY_PRECISION:
                return threshold
        return None

    def best(self) -> Trial:
        chosen = self.emergency_threshold()
        trials = [t for t in self.trials if t.thresholds["emergency"] == chosen]
        allowed = [t for t in trials if _recall(t.report) >= self.floor()]
        return max(allowed or trials, key=Trial.key)

    def lines(self) -> Iterator[str]:
        n = len(self.rules_only.outcomes)
        yield f"{self.folds}-fold cross-validation on {n} lines (rules + model of the other folds)"
        yield "confusion: rows = truth E/U/R/L, each row's counts predicted E U R L"
        head = f"{'emergency':>9} {'urgent':>7} {'jump':>5} {'macro-F1':>9} {'E prec':>7}"
        yield head + f" {'E rec':>6} {'raised':>7}  confusion"
        yield _row("rules only", self.rules_only, 0)
        best = self.best()
        for t in self.trials:
            th = t.thresholds
            label = f"{_fmt(th['emergency']):>9} {_fmt(th['urgent']):>7} {_fmt(th['jump']):>5}"
            yield _row(label, t.report, t.raised) + ("  <- chosen" if t is best else "")
        yield ""
        for threshold in (t for t in GRID_EMERGENCY if t is not None):
            count, precision = self.calls(threshold)
            held = f"{count} held-out calls, precision {precision:.2f}"
            yield f"model alone, P(emergency) >= {threshold:.2f}: {held}"
        yield f"chosen thresholds: {best.thresholds} (emergency recall floor {self.floor():.2f})"
        yield "pooled held-out scores with them:"
        yield from best.report.lines()


def _row(label: str, report: Report, raised: int) -> str:
    p, r, _ = report.per_class()[Urgency.EMERGENCY]
    matrix = report.confusion()
    confusion = " | ".join(
        " ".join(f"{matrix[truth, pred]:>3}" for pred in LEVELS) for truth in LEVELS
    )
    scores = f"{report.macro_f1():>9.3f} {p:>7.2f} {r:>6.2f} {raised:>7}"
    return f"{label:>23} {scores}  {confusion}"


def _fmt(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}"


def _recall(report: Report) -> float:
    return report.per_class()[Urgency.EMERGENCY][1]


def fold_of(lines: Sequence[dict[str, Any]], folds: int) -> list[int]:
    """Each line's fold: round-robin within each urgency label, so every fold gets its share."""
    seen: Counter[str] = Counter()
    out = []
    for line in lines:
        label = str(line["urgency"])
        out.append(seen[label] % folds)
        seen[label] += 1
    return out


def grid() -> list[dict[str, float | None]]:
    return [
        {"emergency": e, "urgent": u, "jump": j}
        for e, u, j in itertools.product(GRID_EMERGENCY, GRID_URGENT, GRID_JUMP)
    ]


def cross_validate(
    lines: Sequence[dict[str, Any]], folds: int = FOLDS, keep: int = 3000
) -> CrossValidation:
    """Score rules + model on held-out folds for every point of the threshold grid."""
    rules = load_rules()
    rules_only = Classifier(rules)
    which = fold_of(lines, folds)
    held: list[_Held] = []
    baseline = Report()
    never: dict[str, float | None] = {"emergency": None, "urgent": None, "jump": None}
    for fold in range(folds):
        trained = [line for line, f in zip(lines, which, strict=True) if f != fold]
        model = Model(train(trained, keep, never, rules), f"cv-{fold}")
        clf = Classifier(rules, model)
        for line, f in zip(lines, which, strict=True):
            if f == fold:
                h = _score(clf, model, line)
                held.append(h)
                v = rules_only.classify(line["form"], line["fields"])
                outcome = Outcome(h.truth, v.urgency, h.topics, v.topic.value, h.language)
                baseline.outcomes.append(outcome)
    out = CrossValidation(folds, baseline)
    out.model_emergency = [
        (h.truth is Urgency.EMERGENCY, h.pred.urgency.get(Urgency.EMERGENCY, 0.0)) for h in held
    ]
    for thresholds in grid():
        out.trials.append(_trial(held, thresholds))
    return out


def _score(clf: Classifier, model: Model, line: dict[str, Any]) -> _Held:
    fields = line["fields"]
    # with a model that never raises, the verdict's urgency is the rules'
    # (after the model's topic vote), which each threshold may then raise
    v = clf.classify(line["form"], fields)
    parsed = clf._text(normalise(message_text(fields)))
    pred = model.predict_words(parsed.words, parsed.chars)
    truth, topics = Urgency(line["urgency"]), tuple(line["topics"])
    lang = str(line.get("lang", v.language))
    return _Held(truth, topics, lang, v.topic.value, v.urgency.rank, v.is_spam, pred)


def _trial(held: list[_Held], thresholds: dict[str, float | None]) -> Trial:
    raise_to = {
        Urgency(k).rank: math.inf if v is None else v for k, v in thresholds.items() if k != "jump"
    }
    jump = thresholds["jump"]
    report, count = Report(), 0
    for h in held:
        rank = h.rank
        if not h.is_spam:
            up = raised(rank, h.pred.urgency, raise_to, math.inf if jump is None else jump)
            if up is not None:
                rank, count = up[0].rank, count + 1
        predicted = Urgency.from_rank(rank)
        report.outcomes.append(Outcome(h.truth, predicted, h.topics, h.topic, h.language))
    return Trial(thresholds, report, count)
