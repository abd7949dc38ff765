"""`triage train`: fit the learned layer on labeled lines with numpy.

Multinomial logistic regression, class-weighted (emergencies are rare but
matter most), L2-regularised, on L2-normalised binary n-gram features. Only
the strongest features are kept so the shipped JSON stays small and the
run-time dot product short. numpy is needed here only, never at run time.

The model may only raise urgency, and a model scored on the lines it was
trained on looks far better than it is: `train` ships the thresholds that
`triage.crossval` chose on held-out folds with the model trained on every
line.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.contracts import Topic, Urgency
from triage.engine import Classifier
from triage.model import KIND, features
from triage.rules import RuleSet, load_rules
from triage.text import message_text, normalise

URGENCY_LABELS = tuple(u.value for u in Urgency)
TOPIC_LABELS = tuple(t.value for t in Topic)
# "At least this level" probabilities the model needs before it raises
# (None: never). The default when `train` does not cross-validate.
THRESHOLDS: dict[str, float | None] = {"emergency": 0.5, "urgent": 0.6, "jump": 0.8}


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


def save(model: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True), encoding="utf-8")
