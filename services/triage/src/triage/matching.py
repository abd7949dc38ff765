"""Phrase lookup by words, and rule patterns behind a literal prefilter.

A big regex alternation of hundreds of phrases is tried at every character
of the text; looking up each word of the message in a table of phrase
first-words is an order of magnitude faster and gives the same whole-word
matches. The word -> candidate-phrases lookup is memoised, since the words
of real messages repeat (Zipf).

Rule `patterns` still run as regular expressions, but each pattern carries
the literal strings that any match of it must contain ("anchors", derived
automatically from the parsed regex at compile time: for
`(cant|unable to) (\\w+ )?breathe` that is {"breathe"}). A pattern only runs
when one of its anchors occurs in the text, which is a cheap substring test;
a pattern whose anchors cannot be derived always runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

Span = tuple[int, int]
WORD = re.compile(r"\w+")
_WORD = WORD
# Anchors shorter than this filter too little to be worth a test.
_MIN_ANCHOR = 2
_MEMO_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Matcher:
    """One rule's phrases and patterns, by `key` in the shared index."""

    key: int


# (the phrase's words, whether any is a prefix, which are prefixes ("chok*"), matcher key)
_Entry = tuple[tuple[str, ...], bool, tuple[bool, ...], int]


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled rule pattern and the literals that any match must contain."""

    key: int
    regex: re.Pattern[str]
    anchors: frozenset[str] | None


@dataclass(slots=True)
class PhraseIndex:
    exact: dict[str, list[_Entry]] = field(default_factory=dict)
    stems: dict[str, list[_Entry]] = field(default_factory=dict)
    stem_lengths: tuple[int, ...] = ()
    size: int = 0
    patterns: list[Pattern] = field(default_factory=list)
    # Patterns that run whatever the text (no anchors could be derived).
    always: tuple[Pattern, ...] = ()
    # anchor -> the patterns it lets run
    by_anchor: dict[str, tuple[Pattern, ...]] = field(default_factory=dict)
    _memo: dict[str, tuple[_Entry, ...]] = field(default_factory=dict)

    def add(self, phrases: list[str], patterns: list[str]) -> Matcher:
        key, self.size = self.size, self.size + 1
        for phrase in phrases:
            words = tuple(w.rstrip("*") for w in phrase.split())
            stars = tuple(w.endswith("*") for w in phrase.split())
            if not words or not all(_WORD.fullmatch(w) for w in words):
                words = tuple(_WORD.findall(" ".join(words)))
                stars = (False,) * len(words)
            if words:
                table = self.stems if stars[0] else self.exact
                table.setdefault(words[0], []).append((words, any(stars), stars, key))
        self.stem_lengths = tuple(sorted({len(s) for s in self.stems}))
        for pattern in patterns:
            # Compiled without the leading `\b` (checked by hand in `_run`)
            # so the regex engine can use its fast literal/charset prefix scan.
            regex = re.compile(r"(?:" + pattern + r")\b")
            self.patterns.append(Pattern(key, regex, anchors(pattern)))
        self._memo.clear()
        return Matcher(key)

    def finish(self) -> None:
        """Index the patterns by anchor, once every rule is added."""
        by_anchor: dict[str, list[Pattern]] = {}
        always = []
        for pattern in self.patterns:
            if pattern.anchors is None:
                always.append(pattern)
            else:
                for anchor in pattern.anchors:
                    by_anchor.setdefault(anchor, []).append(pattern)
        self.always = tuple(always)
        self.by_anchor = {a: tuple(ps) for a, ps in by_anchor.items()}
        self._memo.clear()

    def candidates(self, word: str) -> tuple[_Entry, ...]:
        """Every phrase that may start at `word` (memoised)."""
        found = self._memo.get(word)
        if found is None:
            out = list(self.exact.get(word, ()))
            for length in self.stem_lengths:
                if length > len(word):
                    break
                out.extend(self.stems.get(word[:length], ()))
            found = tuple(out)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[word] = found
        return found

    def runnable(self, text: str) -> list[Pattern]:
        """The patterns worth running on `text`."""
        chosen = {id(p): p for p in self.always}
        for anchor, patterns in self.by_anchor.items():
            if anchor in text:
                for p in patterns:
                    chosen[id(p)] = p
        return list(chosen.values())


class Found:
    """Every phrase and pattern match in one text, found once."""

    __slots__ = ("_found", "text")

    def __init__(self, index: PhraseIndex, text: str, words: Sequence[re.Match[str]]) -> None:
        self.text = text
        found = _scan(index, words)
        for pattern in index.runnable(text):
            spans = _run(pattern.regex, text)
            if spans:
                found.setdefault(pattern.key, []).extend(spans)
                found[pattern.key].sort()
        self._found = found

    def spans(self, matcher: Matcher) -> list[Span]:
        return self._found.get(matcher.key, [])

    def within(self, matcher: Matcher, lo: int, hi: int) -> str | None:
        """The first match lying inside text[lo:hi], if any."""
        for start, end in self._found.get(matcher.key, ()):
            if start >= lo and end <= hi:
                return self.text[start:end]
        return None


def _run(regex: re.Pattern[str], text: str) -> list[Span]:
    """Every non-empty match starting at a word boundary, overlapping ones too.

    The same matches as a zero-width `\\b(?=(pattern)\\b)` scan, but the
    engine jumps to candidate starts instead of trying every position.
    """
    out: list[Span] = []
    search, size, pos = regex.search, len(text), 0
    while pos <= size and (m := search(text, pos)):
        start, end = m.span()
        before = start > 0 and _is_word(text[start - 1])
        if end > start and before != (start < size and _is_word(text[start])):
            out.append((start, end))
        pos = start + 1
    return out


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def tokens(text: str) -> list[re.Match[str]]:
    """The words of `text` with their positions (shared by every layer)."""
    return list(_WORD.finditer(text))


def _scan(index: PhraseIndex, tokens: Sequence[re.Match[str]]) -> dict[int, list[Span]]:
    words = [m.group() for m in tokens]
    n = len(words)
    out: dict[int, list[Span]] = {}
    candidates = index.candidates
    for i, word in enumerate(words):
        entries = candidates(word)
        if not entries:
            continue
        for phrase, starred, stars, key in entries:
            size = len(phrase)
            last = i + size - 1
            if last >= n:
                continue
            if size > 1:
                if starred:
                    if not all(
                        words[i + j] == phrase[j]
                        or (stars[j] and words[i + j].startswith(phrase[j]))
                        for j in range(1, size)
                    ):
                        continue
                elif tuple(words[i : last + 1]) != phrase:
                    continue
            out.setdefault(key, []).append((tokens[i].start(), tokens[last].end()))
    return out


# ------------------------------------------------------------------ anchors


def anchors(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which every match of `pattern` contains, or None.

    Read off the parsed regex: a run of literal characters is required where
    it stands; an alternation requires one of its branches' anchors; a group
    or a repeat of at least one requires its body's. Of the requirements of
    a sequence, the most selective (longest shortest literal) is kept.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    found = _required(list(parsed))
    return frozenset(found) if found else None


def _better(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    key_a, key_b = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return a if key_a >= key_b else b


def _required(items: Iterable[tuple[Any, Any]]) -> set[str] | None:
    c = sre_constants
    best: set[str] | None = None
    run = ""

    def close(run: str) -> set[str] | None:
        return {run} if len(run) >= _MIN_ANCHOR else None

    for op, av in items:
        if op is c.LITERAL:
            run += chr(av)
            continue
        best, run = _better(best, close(run)), ""
        if op is c.SUBPATTERN:
            best = _better(best, _required(list(av[-1])))
        elif op is c.BRANCH:
            alternatives = [_required(list(alt)) for alt in av[1]]
            if all(alternatives):
                best = _better(best, set().union(*alternatives))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            best = _better(best, _required(list(av[2])))
    best = _better(best, close(run))
    if best is not None and min(map(len, best)) < _MIN_ANCHOR:
        return None
    return best
