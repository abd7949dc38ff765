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
memoised: a message costs one dictionary lookup per word and per pair
(by the tuple of the two words, so no feature string is built).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from heapq import nlargest
from itertools import pairwise, repeat
from operator import sub, truediv
from pathlib import Path
from typing import NamedTuple

from shared.contracts import Reason, Topic, Urgency
from triage.memo import WordMemo

DEFAULT_MODEL = Path(__file__).parent / "data" / "model.json"
KIND = "triage-linear-ngrams-2"
_TOKEN = re.compile(r"\w+")
CHAR_N = 4


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


class Prediction(NamedTuple):
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
        # null: never (`triage train` may find that raising to a level only hurts)
        self.jump = _threshold(thresholds.get("jump", 1.0))
        self.raise_to = {
            Urgency(k).rank: _threshold(v) for k, v in thresholds.items() if k != "jump"
        }
        self.vocab = frozenset(self.urgency.columns) | frozenset(self.topic.columns)
        # The dot product, packed: each feature's weights for every class
        # (urgency classes, then topic classes) are written in fixed point
        # into the bit fields of ONE integer, offset to be non-negative, so
        # the class sums of any number of features are one integer `sum`
        # (C speed) and a few shifts to unpack, not a Python loop per class.
        nu, nt = len(self.urgency.labels), len(self.topic.labels)
        zu, zt = (0.0,) * nu, (0.0,) * nt
        self._nu, self._classes = nu, nu + nt
        self._fields = struct.Struct(f"<{nu + nt + 1}Q")
        # One more field on top counts the features that were in the
        # vocabulary, which `_unpack` needs to take the offsets off.
        self._packed = {
            f: _pack(self.urgency.columns.get(f, zu) + self.topic.columns.get(f, zt))
            for f in self.vocab
        }
        # (word, next word) -> the packed pair feature "b:word_next". A word
        # may itself contain "_", so a feature is filed under every split.
        self._pairs: dict[tuple[str, str], int] = {}
        for f, row in self._packed.items():
            if f.startswith("b:"):
                body = f[2:]
                for i, ch in enumerate(body):
                    if ch == "_" and 0 < i < len(body) - 1:
                        self._pairs[body[:i], body[i + 1 :]] = row
        # word -> the packed sum of its own features in the vocabulary
        self._words: WordMemo[int] = WordMemo(self._word)
        self._u_labels = tuple(Urgency(k) for k in self.urgency.labels)
        self._t_labels = tuple(Topic(k) for k in self.topic.labels)

    def predict(self, text: str) -> Prediction:
        return self.predict_words(_TOKEN.findall(text))

    def predict_words(self, words: Sequence[str], chars: int | None = None) -> Prediction:
        """The model's probabilities for the words of one normalised text.

        `chars`: the total length of the words, if the caller knows it.
        """
        n = len(words)
        if chars is None:
            chars = sum(map(len, words))
        # each word brings len(word) features: itself and its len - 1 grams;
        # and each adjacent pair one more
        count = chars + n - 1 if n else 0
        if count < _MAX_FEATURES:
            total = sum(map(self._words.__getitem__, words))
            if n > 1:
                # most pairs are not in the vocabulary: skip the None
                # rather than add a zero to a wide integer
                total += sum(filter(None, map(self._pairs.get, pairwise(words))))
            fields = self._fields.unpack(total.to_bytes(self._fields.size, "little"))
            base = fields[-1] * _OFFSET  # features present, times the offset
            sums = list(map(truediv, map(sub, fields[:-1], repeat(base)), repeat(_SCALE)))
        else:  # a text too long for the packed fields: the same sums, slowly
            sums = self._sums(words)
        norm = 1.0 / math.sqrt(count or 1)
        nu = self._nu
        u = _softmax(self.urgency.bias, sums[:nu], norm)
        t = _softmax(self.topic.bias, sums[nu:], norm)
        return Prediction(
            dict(zip(self._u_labels, u, strict=True)),
            dict(zip(self._t_labels, t, strict=True)),
            tuple(words),
            u.index(max(u)),
        )

    def _word(self, word: str) -> int:
        return sum(filter(None, map(self._packed.get, word_features(word))))

    def _sums(self, words: Sequence[str]) -> list[float]:
        """Per class, the sum of the weights of the features (exact integers, then scaled)."""
        acc = [0] * self._classes
        for f, n in feature_counts(words).items():
            row = self._packed.get(f)
            if row:
                for i in range(self._classes):
                    acc[i] += n * ((row >> (i * _FIELD) & _MASK) - _OFFSET)
        return [a / _SCALE for a in acc]

    def evidence(self, pred: Prediction) -> tuple[str, ...]:
        """The (up to) three words or word pairs that most support the likeliest urgency.

        Staff read these: letter fragments and little words ("est", "la")
        weigh in the model but tell a reader nothing.
        """
        feats = [f for f in feature_counts(pred.words) if _telling(f)]
        top = nlargest(3, ((self.urgency.weight(f, pred.best), f) for f in feats))
        return tuple(_readable(f) for w, f in top if w > 0)

    def raise_urgency(self, rank: int, pred: Prediction) -> tuple[int, float, list[Reason]]:
        """Raise one level above the rules when the model is fairly sure, any level when very sure.

        A linear model trained on a few hundred lines is confident about
        odd words; the cap keeps one such word from turning a routine
        question into a phone call, while a clear signal still gets through.
        """
        up = raised(rank, pred.urgency, self.raise_to, self.jump)
        if up is not None:
            level, at_least = up
            evidence = "similar to labeled examples: " + ", ".join(self.evidence(pred))
            reason = Reason(rule="model", effect=f"urgency {level.value}", evidence=evidence)
            return level.rank, round(min(1.0, at_least), 3), [reason]
        return rank, round(max(0.5, _at_least(pred, rank)), 3), []


def raised(
    rank: int, urgency: Mapping[Urgency, float], raise_to: Mapping[int, float], jump: float
) -> tuple[Urgency, float] | None:
    """The level the model raises `rank` to, with its "at least" probability; None: no raise.

    One level up needs P(at least that level) >= its threshold; more than
    one level needs it to reach `jump` too.
    """
    at_least = 0.0
    for level in (Urgency.EMERGENCY, Urgency.URGENT):
        at_least += urgency.get(level, 0.0)
        if level.rank <= rank:
            break
        threshold = raise_to.get(level.rank, 1.0)
        if at_least >= max(threshold, jump) or (at_least >= threshold and level.rank == rank + 1):
            return level, at_least
    return None


def _threshold(value: object) -> float:
    return math.inf if value is None else float(value)  # type: ignore[arg-type]


# Fixed point: 2**-24 resolution; weights up to +-2**15, so one feature
# fills 40 bits of its 64-bit field and 2**24 features a message fit
# (`predict_words` sums longer texts another way). The top field counts the
# features present, to take their offsets off again; `struct` unpacks all
# fields at once.
_SCALE = 1 << 24
_OFFSET = 1 << 39
_FIELD = 64
_MASK = (1 << _FIELD) - 1
_MAX_FEATURES = 1 << 24


def _pack(weights: tuple[float, ...]) -> int:
    out = 0
    for i, w in enumerate(weights):
        fixed = round(w * _SCALE)
        if not -_OFFSET <= fixed < _OFFSET:
            raise ValueError(f"model weight {w} is out of range")
        out |= (fixed + _OFFSET) << (i * _FIELD)
    return out | 1 << (len(weights) * _FIELD)  # and one feature present


def _at_least(pred: Prediction, rank: int) -> float:
    return sum(p for u, p in pred.urgency.items() if u.rank >= rank)


# Common words that carry weight in the model but say nothing to a reader.
_PLAIN = frozenset(
    "this that with have after about from they there their what when will would your been "  # noqa: SIM905
    "were just into than then them also some very only even still here more much cant wont "
    "dont esta este tiene todo toda para pero como desde porque cuando donde tambien muy ya "
    "hace estoy".split()
)


def _telling(feature: str) -> bool:
    kind, _, body = feature.partition(":")
    if kind == "w":
        return len(body) >= 4 and body not in _PLAIN
    words = body.split("_")
    return kind == "b" and any(len(w) >= 4 and w not in _PLAIN for w in words)


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
