"""The fast paths give the same answers as the slow, obvious ones."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest

from triage.anchors import anchors, fits, key, prefilter, requirements
from triage.engine import Classifier
from triage.matching import _run
from triage.model import features
from triage.phrases import PhraseIndex
from triage.text import (
    CLAUSE_END,
    SENTENCE_END,
    Bounds,
    _contract,
    clause_start,
    message_text,
    normalise,
    sentence_bounds,
    spans,
    words_before,
)
from triage.words import Text, tokens

WORD = re.compile(r"\w+")


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
                assert any(fits(key(a), w) for a in pattern.anchors for w in words), (
                    pattern.regex.pattern,
                    text,
                )
            # every group it is required to meet (not only the best) is met
            for group in pattern.groups:
                assert any(fits(key(a), w) for a in group for w in words), (group, text)
            for need in pattern.needs:
                assert any(need.met_by(w) for w in words), (pattern.regex.pattern, text)
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


def test_a_pattern_requires_every_item_of_its_sequence() -> None:
    groups = requirements("(call|phone|talk) [^.?!]{0,50}(today|tonight)")
    assert [sorted(piece for piece, _ in map(key, g)) for g in groups] == [
        ["call", "phone", "talk"],
        # the parser factors "to" out of "today|tonight": both are required
        ["to"],
        ["day", "night"],
    ]
    # an alternation at the top requires only one of its branches
    assert len(requirements("home alone|alone (now|at home)")) == 1


CONTRACTION_RE = re.compile(
    r"\b(cannot|can not|could not|do not|does not|did not|is not|are not|was not|"
    r"were not|will not|would not|has not|have not)\b"
)
FORMS = {
    "cannot": "cant",
    "can not": "cant",
    "will not": "wont",
    **{f"{w} not": f"{w}nt" for w in ("could", "do", "does", "did", "is", "are", "was")},
    **{f"{w} not": f"{w}nt" for w in ("were", "would", "has", "have")},
}
PIECES = ["can", "not", "cannot", "do", "is", "will", "this", "xis", "nothing", "note", " ", "  ",
          ".", "_", "é", "1", "have", "hasnt", "'", "\n", "Can", "NOT"]  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_contractions_are_the_regex_substitution(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 10)))
        assert _contract(text) == CONTRACTION_RE.sub(lambda m: FORMS[m.group(1)], text), text


@pytest.mark.parametrize("seed", range(3))
def test_words_positions_and_bounds_are_the_regex_ones(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["but", "pero", "about", "although", "x", "ab", ".", "..", "!", ";", ",", "\n",
              "(", "-", " ", "a1", "_", "é", "\x1c"]  # fmt: skip
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        parsed = Text(text)
        assert [parsed.span(i) for i in range(len(parsed.words))] == [
            m.span() for m in WORD.finditer(text)
        ]
        assert parsed.chars == sum(map(len, parsed.words))
        bounds, sp = Bounds(text), spans(text)
        for pos in range(len(text) + 1):
            assert bounds.sentence(pos, pos) == sentence_bounds(text, sp, pos, pos)
            assert bounds.clause_start(pos) == clause_start(sp, pos)
            assert bounds.words_before(pos, 3) == words_before(text, sp, pos, 3)
    assert SENTENCE_END.pattern and CLAUSE_END.pattern


def test_normalise_reads_accents_apostrophes_and_spaces() -> None:
    assert normalise("¿Qué   pasó?\tÉl  NO puede") == "que paso?\tel no puede".replace("\t", " ")
    assert normalise("He CAN'T breathe, he can not") == "he cant breathe, he cant"
    assert normalise("naïve ’quote’ ñandú") == "naive quote nandu"
