"""The fast paths give the same answers as the slow, obvious ones."""

from __future__ import annotations

import math
from typing import Any

import pytest

from triage.engine import Classifier
from triage.matching import PhraseIndex, _fits, _run, anchors, key, prefilter, tokens
from triage.model import features
from triage.text import message_text, normalise


def texts(clf: Classifier, lines: list[dict[str, Any]]) -> list[str]:
    return [clf.spell(normalise(message_text(line["fields"]))) for line in lines]


def test_a_pattern_that_matches_always_has_an_anchor_present(
    rules_only: Classifier, dev_lines: list[Any], extra_lines: list[Any]
) -> None:
    """The prefilter may skip a pattern only when it cannot match."""
    index = rules_only.rules.index
    for text in texts(rules_only, dev_lines + extra_lines):
        words = [m.group() for m in tokens(text)]
        for pattern in index.patterns:
            if not _run(pattern.regex, text):
                continue
            if pattern.anchors is not None:
                assert any(_fits(key(a), w) for a in pattern.anchors for w in words), (
                    pattern.regex.pattern,
                    text,
                )
            if pattern.prefilter is not None:
                assert pattern.prefilter.search(text)


@pytest.mark.parametrize(
    ("pattern", "piece"),
    [
        ("(cant|unable to) (\\w+ )?breathe", ("breathe", "end")),
        ("in (19|20)\\d\\d", ("in", "word")),
        ("(battery|bateria) low", ("low", "word")),
        ("\\b(hoy|urgente)\\b", ("urgente", "word")),
    ],
)
def test_anchor_keys(pattern: str, piece: tuple[str, str]) -> None:
    found = anchors(pattern)
    assert found is not None
    assert piece in {key(a) for a in found}


def test_anchorless_patterns_get_a_class_prefilter_or_always_run() -> None:
    assert anchors("(\\b\\w*[b-df-hj-np-tv-xz]{5,}\\w*\\b.*){2,}") is None
    quick = prefilter("(\\b\\w*[b-df-hj-np-tv-xz]{5,}\\w*\\b.*){2,}")
    assert quick is not None and quick.search("xkcdfg") and not quick.search("hello")
    assert anchors("\\d+") is None and prefilter("\\d+") is None


def test_overlapping_matches_at_word_starts_only() -> None:
    index = PhraseIndex()
    index.add([], ["fell\\b.{0,20}hurt"])
    index.finish()
    regex = index.patterns[0].regex
    assert _run(regex, "befell him hurt") == []
    assert [s for s, _ in _run(regex, "he fell and fell and got hurt")] == [3, 12]


def test_packed_dot_product_equals_the_plain_sum(
    clf: Classifier, dev_lines: list[Any], extra_lines: list[Any]
) -> None:
    model = clf.model
    assert model is not None
    for text in texts(clf, dev_lines[:60] + extra_lines[:30]):
        counts = features(text)
        norm = 1.0 / math.sqrt(sum(counts.values()) or 1)
        logits = list(model.urgency.bias)
        for f, n in counts.items():
            for c, w in enumerate(model.urgency.columns.get(f, ())):
                logits[c] += norm * n * w
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        expected = [e / sum(exps) for e in exps]
        got = list(model.predict(text).urgency.values())
        assert got == pytest.approx(expected, abs=1e-6)


def test_feature_counts_cover_words_pairs_and_grams() -> None:
    counts = features("he cant breathe")
    assert counts["w:cant"] == 1 and counts["b:cant_breathe"] == 1
    assert counts[" bre"] == 1 and counts["the "] == 1
    # grams stay inside one word; word pairs carry what crosses words
    assert "t br" not in counts and "b:he_cant" in counts
    # per word: the word and its len - 1 grams; then two pairs
    assert sum(counts.values()) == sum(len(w) for w in ("he", "cant", "breathe")) + 2
