"""Phrase lookup by words, so matching costs one pass over a message.

A big regex alternation of hundreds of phrases is tried at every character
of the text; looking up each word of the message in a table of phrase
first-words is an order of magnitude faster and gives the same whole-word
matches. Rule `patterns` still run as regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Span = tuple[int, int]
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One rule's phrases and patterns, by `key` in the shared index."""

    key: int


# (the phrase's words, whether any is a prefix, which are prefixes ("chok*"), matcher key)
_Entry = tuple[tuple[str, ...], bool, tuple[bool, ...], int]


@dataclass(slots=True)
class PhraseIndex:
    exact: dict[str, list[_Entry]] = field(default_factory=dict)
    stems: dict[str, list[_Entry]] = field(default_factory=dict)
    stem_lengths: tuple[int, ...] = ()
    size: int = 0
    patterns: list[str] = field(default_factory=list)
    master: re.Pattern[str] | None = None

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
        if patterns:
            self.patterns.append(f"(?P<m{key}>" + "|".join(f"(?:{p})" for p in patterns) + ")")
        return Matcher(key)

    def finish(self) -> None:
        """Compile every rule's patterns into one zero-width scan.

        One pass over the text instead of one per rule, and matches that
        overlap another rule's still show (the scan advances one position
        at a time).
        """
        if self.patterns:
            self.master = re.compile(r"\b(?=(?:" + "|".join(self.patterns) + r")\b)")


class Found:
    """Every phrase match in one text, found once, plus lazily run patterns."""

    __slots__ = ("_found", "text")

    def __init__(self, index: PhraseIndex, text: str) -> None:
        self.text = text
        self._found = _scan(index, text)
        if index.master is not None:
            for m in index.master.finditer(text):
                name = m.lastgroup or ""
                start, end = m.span(name)
                if end > start:
                    self._found.setdefault(int(name[1:]), []).append((start, end))
                    self._found[int(name[1:])].sort()

    def spans(self, matcher: Matcher) -> list[Span]:
        return self._found.get(matcher.key, [])

    def within(self, matcher: Matcher, lo: int, hi: int) -> str | None:
        """The first match lying inside text[lo:hi], if any."""
        for start, end in self._found.get(matcher.key, ()):
            if start >= lo and end <= hi:
                return self.text[start:end]
        return None


def _candidates(index: PhraseIndex, word: str) -> list[_Entry]:
    found = index.exact.get(word, [])
    for length in index.stem_lengths:
        if length > len(word):
            break
        more = index.stems.get(word[:length])
        if more:
            found = found + more
    return found


def _scan(index: PhraseIndex, text: str) -> dict[int, list[Span]]:
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    words = tuple(t[0] for t in tokens)
    out: dict[int, list[Span]] = {}
    for i, word in enumerate(words):
        for phrase, starred, stars, key in _candidates(index, word):
            last = i + len(phrase) - 1
            if last >= len(words):
                continue
            if starred:
                if not all(
                    words[i + j] == phrase[j] or (stars[j] and words[i + j].startswith(phrase[j]))
                    for j in range(1, len(phrase))
                ):
                    continue
            elif words[i : last + 1] != phrase:
                continue
            out.setdefault(key, []).append((tokens[i][1], tokens[last][2]))
    return out
