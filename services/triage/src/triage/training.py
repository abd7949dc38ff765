"""`triage train`: fit the learned layer on labeled lines with numpy.

Multinomial logistic regression, class-weighted (emergencies are rare but
matter most), L2-regularised, on L2-normalised binary n-gram features. Only
the strongest features are kept so the shipped JSON stays small and the
run-time dot product short. numpy is needed here only, never at run time.

The model may only raise urgency, and a model scored on the lines it was
trained on looks far better than it is. So `train` first cross-validates:
k folds, each scored with rules + a model trained on the other k - 1, for a
small grid of raise thresholds; it keeps the thresholds with the best
pooled macro-F1 among those that keep emergency recall at least at the
rules-only level, and ships them with the model trained on every line.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.contracts import Topic, Urgency
from triage.engine import Classifier
from triage.evaluation import LEVELS, Outcome, Report
from triage.model import KIND, Model, Prediction, features, raised
from triage.rules import RuleSet, load_rules
from triage.text import message_text, normalise

URGENCY_LABELS = tuple(u.value for u in Urgency)
TOPIC_LABELS = tuple(t.value for t in Topic)
# "At least this level" probabilities the model needs before it raises
# (None: never). The default when `train` does not cross-validate.
THRESHOLDS: dict[str, float | None] = {"emergency": 0.5, "urgent": 0.6, "jump": 0.8}
# The grid the cross-validation tries.
GRID_EMERGENCY: tuple[float | None, ...] = (0.5, 0.7, 0.9, None)
GRID_URGENT: tuple[float | None, ...] = (0.6, 0.8, 0.9, None)
GRID_JUMP: tuple[float, ...] = (0.8, 0.95)
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Example:
    feats: Counter[str]
    urgency: str
    topic: str


def examples(lines: Sequence[dict[str, Any]], rules: RuleSet | None = None) -> list[Example]:
    """Featurised exactly as at run time (including the misspelling fixes)."""
    spell = Classifier(rules or load_rules()).spell
    return [
        Example(
            features(spell(normalise(message_text(line["fields"])))),
            line["urgency"],
            line["topics"][0],
        )
        for line in lines
    ]


def _fit(
    docs: list[Counter[str]], labels: list[int], classes: int, vocab: list[str], l2: float
) -> tuple[Any, Any]:
    import numpy as np

    index = {f: i for i, f in enumerate(vocab)}
    x = np.zeros((len(docs), len(vocab)))
    for row, feats in enumerate(docs):
        norm = 1.0 / math.sqrt(sum(feats.values()) or 1)
        for f, n in feats.items():
            if f in index:
                x[row, index[f]] = n * norm
    y = np.zeros((len(docs), classes))
    y[np.arange(len(docs)), labels] = 1.0
    counts = y.sum(axis=0)
    weight = (len(docs) / (classes * np.maximum(counts, 1)))[labels][:, None]
    w, b = np.zeros((len(vocab), classes)), np.zeros(classes)
    for _ in range(600):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = weight * (p - y) / len(docs)
        w -= 4.0 * (x.T @ grad + l2 * w)
        b -= 4.0 * grad.sum(axis=0)
    return w, b


def _head(
    docs: list[Counter[str]], labels: Sequence[str], names: tuple[str, ...], keep: int
) -> dict[str, Any]:
    import numpy as np

    counts: dict[str, int] = {}
    for feats in docs:
        for f in feats:
            counts[f] = counts.get(f, 0) + 1
    vocab = sorted(f for f, n in counts.items() if n >= 2)
    y = [names.index(label) for label in labels]
    w, _ = _fit(docs, y, len(names), vocab, l2=1e-4)
    strongest = np.argsort(-np.abs(w).max(axis=1))[:keep]
    vocab = sorted(vocab[i] for i in strongest)
    w, b = _fit(docs, y, len(names), vocab, l2=1e-4)
    rows = [
        {f: round(float(w[i, c]), 4) for i, f in enumerate(vocab) if abs(w[i, c]) >= 1e-3}
        for c in range(len(names))
    ]
    return {"labels": list(names), "bias": [round(float(v), 4) for v in b], "weights": rows}


def train(
    lines: Sequence[dict[str, Any]],
    keep: int = 3000,
    thresholds: dict[str, float | None] | None = None,
    rules: RuleSet | None = None,
) -> dict[str, Any]:
    data = examples(lines, rules)
    docs = [e.feats for e in data]
    return {
        "kind": KIND,
        "trained_on": len(data),
        "thresholds": dict(thresholds or THRESHOLDS),
        "urgency": _head(docs, [e.urgency for e in data], URGENCY_LABELS, keep),
        "topic": _head(docs, [e.topic for e in data], TOPIC_LABELS, keep),
    }


# ------------------------------------------------------------ cross-validation


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
        """Better first: macro-F1, then emergency precision, then the more cautious."""
        caution = sum(2.0 if v is None else v for v in self.thresholds.values())
        return self.report.macro_f1(), self.report.per_class()[Urgency.EMERGENCY][0], caution


@dataclass(slots=True)
class CrossValidation:
    folds: int
    rules_only: Report
    trials: list[Trial] = field(default_factory=list)

    def floor(self) -> float:
        """Emergency recall the model must keep: what the rules reach alone."""
        return self.rules_only.per_class()[Urgency.EMERGENCY][1]

    def best(self) -> Trial:
        allowed = [t for t in self.trials if _recall(t.report) >= self.floor()]
        return max(allowed or self.trials, key=Trial.key)

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


def save(model: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True), encoding="utf-8")
