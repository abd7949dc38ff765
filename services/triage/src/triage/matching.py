"""Every phrase and pattern match in one message, found once for all the rules.

The words of the message are looked up in the `PhraseIndex`: a phrase is
matched from the words that may start it, and a pattern runs only when
the words meet every condition it needs, so most of them never run.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import compress, count
from typing import cast

from triage.patterns import Need, Pattern
from triage.phrases import Matcher, PhraseEntry, PhraseIndex, WordLookup
from triage.words import Text, is_word_char

Span = tuple[int, int]


class Found:
    """Every phrase and pattern match in one text, found once."""

    __slots__ = ("_found", "text")

    def __init__(self, index: PhraseIndex, text: str | Text) -> None:
        doc = text if isinstance(text, Text) else Text(text)
        self.text = plain = doc.text
        found: dict[int, list[Span]] = {}
        met = _find_phrases(index, doc, found)
        use_ascii = doc.ascii
        for pattern in _runnable(index, met, plain):
            regex = pattern.ascii if use_ascii and pattern.ascii is not None else pattern.regex
            spans = _run(regex, plain)
            if spans:
                found.setdefault(pattern.key, []).extend(spans)
                found[pattern.key].sort()
        self._found = found

    @property
    def keys(self) -> Collection[int]:
        """The keys of every matcher with at least one match."""
        return self._found.keys()

    def spans(self, matcher: Matcher) -> list[Span]:
        return self._found.get(matcher.key, [])

    def within(self, matcher: Matcher, lo: int, hi: int) -> str | None:
        """The first match lying inside text[lo:hi], if any."""
        for start, end in self._found.get(matcher.key, ()):
            if start >= lo and end <= hi:
                return self.text[start:end]
        return None


def _find_phrases(index: PhraseIndex, doc: Text, found: dict[int, list[Span]]) -> set[Need]:
    """Add the phrase matches of `doc` to `found`; the pattern conditions its words meet."""
    words = doc.words
    last = len(words) - 1
    looked = index.lookup_all(words)
    met: set[Need] = set()
    # only the words that start a phrase or meet a pattern's condition
    for i in compress(count(), looked):
        singles, by_second, starred_second, needs = cast(WordLookup, looked[i])
        if needs:
            met.update(needs)
        if singles:
            span = doc.span(i)
            for key in singles:
                if key in found:
                    found[key].append(span)
                else:
                    found[key] = [span]
        if i < last and (starred_second or words[i + 1] in by_second):
            _scan(doc, i, by_second, starred_second, found)
    return met


def _runnable(index: PhraseIndex, met: set[Need], text: str) -> list[Pattern]:
    """The patterns worth running: every condition met, or no conditions but the prefilter."""
    # (a word passed a pattern's prefilter if it has one: no need to search again)
    runnable = [p for p in index.always if p.prefilter is None or p.prefilter.search(text)]
    for need in met:
        pattern = need.pattern
        # each pattern once: when its first condition comes up
        if need is pattern.needs[0] and (len(pattern.needs) == 1 or met.issuperset(pattern.needs)):
            runnable.append(pattern)
    return runnable


def _run(regex: re.Pattern[str], text: str) -> list[Span]:
    """Every non-empty match starting at a word boundary, overlapping ones too.

    The same matches as a zero-width `\\b(?=(pattern)\\b)` scan, but the
    engine jumps to candidate starts instead of trying every position.
    """
    out: list[Span] = []
    search, size, pos = regex.search, len(text), 0
    while pos <= size and (m := search(text, pos)):
        start, end = m.span()
        before = start > 0 and is_word_char(text[start - 1])
        if end > start and before != (start < size and is_word_char(text[start])):
            out.append((start, end))
        pos = start + 1
    return out


def _scan(
    doc: Text,
    i: int,
    by_second: dict[str, tuple[PhraseEntry, ...]],
    starred_second: tuple[PhraseEntry, ...],
    out: dict[int, list[Span]],
) -> None:
    """The phrases of two or more words that start at word i."""
    words = doc.words
    n = len(words)
    second = words[i + 1]
    for phrase, starred, stars, key in (*by_second.get(second, ()), *starred_second):
        last = i + len(phrase) - 1
        if last >= n or (stars[1] and not second.startswith(phrase[1])):
            continue
        if len(phrase) > 2 and not _rest(words, i, phrase, stars if starred else None):
            continue
        out.setdefault(key, []).append((doc.span(i)[0], doc.span(last)[1]))


def _rest(
    words: list[str], i: int, phrase: tuple[str, ...], stars: tuple[bool, ...] | None
) -> bool:
    """Whether the third and later words of `phrase` follow at words[i + 2:]."""
    if stars is None:
        return tuple(words[i + 2 : i + len(phrase)]) == phrase[2:]
    return all(
        words[i + j] == phrase[j] or (stars[j] and words[i + j].startswith(phrase[j]))
        for j in range(2, len(phrase))
    )
