"""The learned layer at run time: a linear model over word and character n-grams.

Weights come from `triage train` (numpy, offline) as JSON shipped in the
package; inference is a sparse dot product in pure Python, so nothing is
downloaded and no numerical library is loaded at run time. The model may
raise urgency (never lower it) and votes on the topic.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from shared.contracts import Reason, Topic, Urgency

DEFAULT_MODEL = Path(__file__).parent / "data" / "model.json"
_TOKEN = re.compile(r"\w+")
CHAR_N = 4


def features(text: str) -> set[str]:
    """Words, word pairs and character 4-grams of normalised text."""
    words = _TOKEN.findall(text)
    padded = " " + " ".join(words) + " "
    feats = {"w:" + w for w in words}
    feats.update("b:" + a + "_" + b for a, b in pairwise(words))
    feats.update(padded[i : i + CHAR_N] for i in range(len(padded) - CHAR_N + 1))
    return feats


@dataclass(frozen=True, slots=True)
class Prediction:
    urgency: dict[Urgency, float]
    topics: dict[Topic, float]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Head:
    """One softmax layer: per-class bias, and per feature its weight for every class."""

    labels: tuple[str, ...]
    bias: tuple[float, ...]
    columns: dict[str, tuple[float, ...]]

    def probabilities(self, present: list[str], norm: float) -> list[float]:
        columns = self.columns
        sums = [sum(c) for c in zip(*(columns[f] for f in present), strict=True)] or [0.0] * len(
            self.bias
        )
        logits = [b + norm * x for b, x in zip(self.bias, sums, strict=True)]
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def weight(self, feature: str, label: int) -> float:
        return self.columns[feature][label]


class Model:
    def __init__(self, data: dict[str, object], digest: str) -> None:
        self.digest = digest
        self.urgency = _head(data["urgency"])
        self.topic = _head(data["topic"])
        thresholds = data.get("thresholds", {})
        assert isinstance(thresholds, dict)
        self.jump = float(thresholds.get("jump", 1.0))
        self.raise_to = {Urgency(k).rank: float(v) for k, v in thresholds.items() if k != "jump"}
        self.vocab = frozenset(self.urgency.columns) | frozenset(self.topic.columns)

    def predict(self, text: str) -> Prediction:
        feats = features(text)
        norm = 1.0 / math.sqrt(len(feats) or 1)
        u_present = [f for f in feats if f in self.urgency.columns]
        u = self.urgency.probabilities(u_present, norm)
        t = self.topic.probabilities([f for f in feats if f in self.topic.columns], norm)
        best = max(range(len(u)), key=u.__getitem__)
        weighted = sorted((self.urgency.weight(f, best), f) for f in u_present)
        top = [f for w, f in weighted[-3:][::-1] if w > 0]
        return Prediction(
            urgency={Urgency(k): p for k, p in zip(self.urgency.labels, u, strict=True)},
            topics={Topic(k): p for k, p in zip(self.topic.labels, t, strict=True)},
            evidence=tuple(_readable(f) for f in top),
        )

    def raise_urgency(self, rank: int, pred: Prediction) -> tuple[int, float, list[Reason]]:
        """Raise one level above the rules when the model is fairly sure, any level when very sure.

        A linear model trained on a few hundred lines is confident about
        odd words; the cap keeps one such word from turning a routine
        question into a phone call, while a clear signal still gets through.
        """
        at_least = 0.0
        for level in (Urgency.EMERGENCY, Urgency.URGENT):
            at_least += pred.urgency.get(level, 0.0)
            if level.rank <= rank:
                break
            threshold = self.raise_to.get(level.rank, 1.0)
            if at_least >= max(threshold, self.jump) or (
                at_least >= threshold and level.rank == rank + 1
            ):
                evidence = "similar to labeled examples: " + ", ".join(pred.evidence)
                reason = Reason(rule="model", effect=f"urgency {level.value}", evidence=evidence)
                return level.rank, round(min(1.0, at_least), 3), [reason]
        return rank, round(max(0.5, _at_least(pred, rank)), 3), []


def _at_least(pred: Prediction, rank: int) -> float:
    return sum(p for u, p in pred.urgency.items() if u.rank >= rank)


def _readable(feature: str) -> str:
    kind, _, body = feature.partition(":")
    if kind == "w" and body:
        return f"'{body}'"
    if kind == "b" and body:
        return "'" + body.replace("_", " ") + "'"
    return f"'{feature.strip()}'"


def _head(raw: object) -> Head:
    assert isinstance(raw, dict)
    labels = tuple(raw["labels"])
    rows: list[dict[str, float]] = raw["weights"]
    names = sorted(set().union(*rows))
    return Head(
        labels=labels,
        bias=tuple(float(b) for b in raw["bias"]),
        columns={f: tuple(float(row.get(f, 0.0)) for row in rows) for f in names},
    )


def load_model(path: Path) -> Model:
    blob = path.read_bytes()
    return Model(json.loads(blob), hashlib.sha256(blob).hexdigest()[:8])
