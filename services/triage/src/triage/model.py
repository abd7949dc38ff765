"""The learned layer at run time: a linear model over word and character n-grams.

Weights come from `triage train` (numpy, offline) as JSON shipped in the
package; inference is a sparse dot product in pure Python, so nothing is
downloaded and no numerical library is loaded at run time. The model may
raise urgency (never lower it) and votes on the topic.

Features (kind "triage-linear-ngrams-2"), counted, not just present: every
word ("w:word"), every character 4-gram of " word " (inside one word, so
misspellings and Spanish inflections still share most of them) and every
pair of adjacent words ("b:one_two"); the vector is scaled by
1/sqrt(number of features). Everything but the word pairs depends on one
word alone, so each distinct word's contribution is computed once and
memoised: a message costs one dictionary lookup per word and per pair.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from shared.contracts import Reason, Topic, Urgency

DEFAULT_MODEL = Path(__file__).parent / "data" / "model.json"
KIND = "triage-linear-ngrams-2"
_TOKEN = re.compile(r"\w+")
CHAR_N = 4
_MEMO_LIMIT = 50_000


def word_features(word: str) -> list[str]:
    """The features one word brings, with repeats (its 4-grams may repeat)."""
    padded = " " + word + " "
    return ["w:" + word, *map("".join, zip(*(padded[i:] for i in range(CHAR_N)), strict=False))]


def feature_counts(words: Sequence[str]) -> Counter[str]:
    """Every feature of the words of one normalised text, with its count."""
    counts: Counter[str] = Counter()
    for word in words:
        counts.update(word_features(word))
    counts.update("b:" + a + "_" + b for a, b in pairwise(words))
    return counts


def features(text: str) -> Counter[str]:
    """`feature_counts` of normalised text."""
    return feature_counts(_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class Prediction:
    urgency: dict[Urgency, float]
    topics: dict[Topic, float]
    # the words the prediction was made from (for the reasons, on demand)
    words: tuple[str, ...]
    best: int


@dataclass(frozen=True, slots=True)
class Head:
    """One softmax layer: per-class bias, and per feature its weight for every class."""

    labels: tuple[str, ...]
    bias: tuple[float, ...]
    columns: dict[str, tuple[float, ...]]

    def weight(self, feature: str, label: int) -> float:
        column = self.columns.get(feature)
        return column[label] if column else 0.0


def _softmax(bias: tuple[float, ...], sums: list[float], norm: float) -> list[float]:
    logits = [b + norm * x for b, x in zip(bias, sums, strict=True)]
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    return [e / total for e in exps]


class Model:
    def __init__(self, data: dict[str, object], digest: str) -> None:
        if data.get("kind") != KIND:
            raise ValueError(f"model kind {data.get('kind')!r} is not {KIND!r}: run `triage train`")
        self.digest = digest
        self.urgency = _head(data["urgency"])
        self.topic = _head(data["topic"])
        thresholds = data.get("thresholds", {})
        assert isinstance(thresholds, dict)
        self.jump = float(thresholds.get("jump", 1.0))
        self.raise_to = {Urgency(k).rank: float(v) for k, v in thresholds.items() if k != "jump"}
        self.vocab = frozenset(self.urgency.columns) | frozenset(self.topic.columns)
        # The dot product, packed: each feature's weights for every class
        # (urgency classes, then topic classes) are written in fixed point
        # into the bit fields of ONE integer, offset to be non-negative, so
        # the class sums of any number of features are one integer `sum`
        # (C speed) and a few shifts to unpack, not a Python loop per class.
        nu, nt = len(self.urgency.labels), len(self.topic.labels)
        zu, zt = (0.0,) * nu, (0.0,) * nt
        self._nu, self._classes = nu, nu + nt
        self._packed = {
            f: _pack(self.urgency.columns.get(f, zu) + self.topic.columns.get(f, zt))
            for f in self.vocab
        }
        # word -> (packed sum of its features in the vocabulary, how many
        # of them are, how many features it has in all, "b:word_" to which
        # the next word is appended for the pair feature)
        self._words: dict[str, tuple[int, int, int, str]] = {}
        self._u_labels = tuple(Urgency(k) for k in self.urgency.labels)
        self._t_labels = tuple(Topic(k) for k in self.topic.labels)

    def predict(self, text: str) -> Prediction:
        return self.predict_words(_TOKEN.findall(text))

    def predict_words(self, words: Sequence[str]) -> Prediction:
        """The model's probabilities for the words of one normalised text."""
        memo, packed = self._words, self._packed
        if not words:
            total = present = count = 0
        else:
            knowns = list(map(memo.get, words))
            if None in knowns:
                knowns = [memo.get(w) or self._word(w) for w in words]
            rows, presents, counts, lefts = zip(*knowns, strict=True)
            pairs = [p for p in map(packed.get, map(str.__add__, lefts, words[1:])) if p]
            total = sum(rows) + sum(pairs)
            present = sum(presents) + len(pairs)
            count = sum(counts) + len(words) - 1
        sums = _unpack(total, present, self._classes)
        norm = 1.0 / math.sqrt(count or 1)
        nu = self._nu
        u = _softmax(self.urgency.bias, sums[:nu], norm)
        t = _softmax(self.topic.bias, sums[nu:], norm)
        return Prediction(
            urgency=dict(zip(self._u_labels, u, strict=True)),
            topics=dict(zip(self._t_labels, t, strict=True)),
            words=tuple(words),
            best=max(range(len(u)), key=u.__getitem__),
        )

    def _word(self, word: str) -> tuple[int, int, int, str]:
        feats = word_features(word)
        rows = [r for r in map(self._packed.get, feats) if r]
        known = (sum(rows), len(rows), len(feats), _pair(word, ""))
        if len(self._words) >= _MEMO_LIMIT:
            self._words.clear()
        self._words[word] = known
        return known

    def evidence(self, pred: Prediction) -> tuple[str, ...]:
        """The (up to) three features that most support the likeliest urgency."""
        feats = feature_counts(pred.words)
        weighted = sorted((self.urgency.weight(f, pred.best), f) for f in feats)
        return tuple(_readable(f) for w, f in weighted[-3:][::-1] if w > 0)

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
                evidence = "similar to labeled examples: " + ", ".join(self.evidence(pred))
                reason = Reason(rule="model", effect=f"urgency {level.value}", evidence=evidence)
                return level.rank, round(min(1.0, at_least), 3), [reason]
        return rank, round(max(0.5, _at_least(pred, rank)), 3), []


# Fixed point: 2**-24 resolution; weights up to +-2**15; 2**40 features a
# message before a field could overflow into the next (far beyond any text).
_SCALE = 1 << 24
_OFFSET = 1 << 39
_FIELD = 80
_MASK = (1 << _FIELD) - 1


def _pack(weights: tuple[float, ...]) -> int:
    out = 0
    for i, w in enumerate(weights):
        out |= (round(w * _SCALE) + _OFFSET) << (i * _FIELD)
    return out


def _unpack(total: int, count: int, classes: int) -> list[float]:
    base = count * _OFFSET
    return [((total >> (i * _FIELD) & _MASK) - base) / _SCALE for i in range(classes)]


def _pair(a: str, b: str) -> str:
    return "b:" + a + "_" + b


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
