"""The rules' phrases and patterns, indexed by the words that can start or enable them.

A big regex alternation of hundreds of phrases is tried at every character
of the text; looking up each word of the message in a table of phrase
first-words is an order of magnitude faster and gives the same whole-word
matches. The word -> candidate-phrases lookup is memoised, since the words
of real messages repeat (Zipf). The same lookup answers which pattern
conditions (see `triage.patterns`) the word meets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from triage.memo import WordMemo
from triage.patterns import Need, NeedIndex, Pattern, compile_pattern, with_needs

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One rule's phrases and patterns, by `key` in the shared index."""

    key: int


# (the phrase's words, whether any is a prefix, which are prefixes ("chok*"), matcher key)
PhraseEntry = tuple[tuple[str, ...], bool, tuple[bool, ...], int]


class WordLookup(NamedTuple):
    """What one word of a message may start, looked up once per distinct word."""

    singles: tuple[int, ...]  # keys of one-word phrases that are this word
    by_second: dict[str, tuple[PhraseEntry, ...]]  # longer phrases, by their second word
    starred_second: tuple[PhraseEntry, ...]  # longer phrases whose second word is a stem
    needs: tuple[Need, ...]  # the pattern conditions this word meets


# A word that starts no phrase and meets no pattern condition: falsy, so
# `compress` skips it at C speed.
_NOTHING: WordLookup | tuple[()] = ()
Lookup = WordLookup | tuple[()]


@dataclass(slots=True)
class PhraseIndex:
    exact: dict[str, list[PhraseEntry]] = field(default_factory=dict)
    stems: dict[str, list[PhraseEntry]] = field(default_factory=dict)
    stem_lengths: tuple[int, ...] = ()
    size: int = 0
    patterns: list[Pattern] = field(default_factory=list)
    # Patterns that run whatever the text (no anchors could be derived).
    always: tuple[Pattern, ...] = ()
    _needs: NeedIndex = field(default_factory=NeedIndex)
    _memo: WordMemo[Lookup] = field(init=False)

    def __post_init__(self) -> None:
        self._memo = WordMemo(self._learn)

    def add(self, phrases: list[str], patterns: list[str]) -> Matcher:
        key, self.size = self.size, self.size + 1
        for phrase in phrases:
            self._add_phrase(key, phrase)
        self.stem_lengths = tuple(sorted({len(s) for s in self.stems}))
        self.patterns.extend(compile_pattern(key, pattern) for pattern in patterns)
        self._memo.clear()
        return Matcher(key)

    def _add_phrase(self, key: int, phrase: str) -> None:
        """File `phrase` under its first word ("chok*": a stem, matching any word it starts)."""
        words = tuple(w.rstrip("*") for w in phrase.split())
        stars = tuple(w.endswith("*") for w in phrase.split())
        if not words or not all(_WORD.fullmatch(w) for w in words):
            words = tuple(_WORD.findall(" ".join(words)))
            stars = (False,) * len(words)
        if words:
            table = self.stems if stars[0] else self.exact
            table.setdefault(words[0], []).append((words, any(stars), stars, key))

    def finish(self) -> None:
        """Index the patterns by the word pieces of their anchors, once every rule is in.

        Which patterns may match is then the union over the message's words
        of a per-word answer, memoised like the phrases. A pattern usually
        requires several anchor groups ("(call|phone) ... (today|tonight)"):
        it runs only when every group is present. A pattern without anchors
        whose prefilter is a run of word characters is tested per distinct
        word the same way.
        """
        self.patterns[:] = [with_needs(pattern) for pattern in self.patterns]
        self.always = tuple(pattern for pattern in self.patterns if not pattern.needs)
        self._needs = NeedIndex(self.patterns)
        self._memo.clear()

    def lookup_all(self, words: list[str]) -> list[Lookup]:
        """What each word may start: one C-level pass over the memo (misses filled in)."""
        return list(map(self._memo.__getitem__, words))

    def _learn(self, word: str) -> Lookup:
        entries = self._starting_at(word)
        needs = self._needs.met(word)
        singles = tuple(key for phrase, _, _, key in entries if len(phrase) == 1)
        by_second: dict[str, list[PhraseEntry]] = {}
        starred_second = []
        for entry in entries:
            phrase, _, stars, _ = entry
            if len(phrase) > 1 and stars[1]:
                starred_second.append(entry)
            elif len(phrase) > 1:
                by_second.setdefault(phrase[1], []).append(entry)
        if not (singles or by_second or starred_second or needs):
            return _NOTHING
        return WordLookup(
            singles,
            {w: tuple(es) for w, es in by_second.items()},
            tuple(starred_second),
            tuple(dict.fromkeys(needs)),
        )

    def _starting_at(self, word: str) -> list[PhraseEntry]:
        """The phrases whose first word is `word`, or a stem that `word` starts with."""
        entries = list(self.exact.get(word, ()))
        for length in self.stem_lengths:
            if length > len(word):
                break
            entries.extend(self.stems.get(word[:length], ()))
        return entries
