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
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, NamedTuple

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


@dataclass(frozen=True, slots=True, eq=False)
class Pattern:
    """One compiled rule pattern and the literals that any match must contain."""

    key: int
    regex: re.Pattern[str]
    anchors: frozenset[str] | None
    # for a pattern without anchors: a cheap search that must succeed first
    prefilter: re.Pattern[str] | None = None


class _Word(NamedTuple):
    """What one word of a message may start, looked up once per distinct word."""

    singles: tuple[int, ...]  # keys of one-word phrases that are this word
    by_second: dict[str, tuple[_Entry, ...]]  # longer phrases, by their second word
    starred_second: tuple[_Entry, ...]  # longer phrases whose second word is a stem
    patterns: tuple[Pattern, ...]  # the patterns an anchor in this word lets run


@dataclass(slots=True)
class PhraseIndex:
    exact: dict[str, list[_Entry]] = field(default_factory=dict)
    stems: dict[str, list[_Entry]] = field(default_factory=dict)
    stem_lengths: tuple[int, ...] = ()
    size: int = 0
    patterns: list[Pattern] = field(default_factory=list)
    # Patterns that run whatever the text (no anchors could be derived).
    always: tuple[Pattern, ...] = ()
    # word piece of an anchor -> the patterns it lets run
    by_anchor: dict[Key, tuple[Pattern, ...]] = field(default_factory=dict)
    _memo: dict[str, _Word] = field(default_factory=dict)
    _by_word: dict[str, tuple[Pattern, ...]] = field(default_factory=dict)
    _by_start: dict[str, tuple[Pattern, ...]] = field(default_factory=dict)
    _by_end: dict[str, tuple[Pattern, ...]] = field(default_factory=dict)
    _start_sizes: tuple[int, ...] = ()
    _end_sizes: tuple[int, ...] = ()
    _inside: tuple[tuple[str, tuple[Pattern, ...]], ...] = ()

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
            found = anchors(pattern)
            quick = None if found else prefilter(pattern)
            self.patterns.append(Pattern(key, regex, found, quick))
        self._memo.clear()
        return Matcher(key)

    def finish(self) -> None:
        """Index the patterns by the word pieces of their anchors, once every rule is in.

        An anchor literal such as "cant " or "over the " occurs in a text
        only if some word of the text contains its longest word piece
        ("cant", "over"), so which patterns may match is the union over the
        message's words of a per-word answer, memoised like the phrases.
        """
        pieces: dict[Key, list[Pattern]] = {}
        always = []
        for pattern in self.patterns:
            keys = {key(a) for a in pattern.anchors or ()}
            if pattern.anchors is None or any(not piece for piece, _ in keys):
                always.append(pattern)
            else:
                for k in keys:
                    pieces.setdefault(k, []).append(pattern)
        self.always = tuple(always)
        self.by_anchor = {a: tuple(ps) for a, ps in pieces.items()}
        kinds: dict[str, dict[str, tuple[Pattern, ...]]] = {}
        for (piece, how), ps in self.by_anchor.items():
            kinds.setdefault(how, {})[piece] = ps
        self._by_word = kinds.get("word", {})
        self._by_start = kinds.get("start", {})
        self._by_end = kinds.get("end", {})
        self._start_sizes = tuple(sorted({len(k) for k in self._by_start}))
        self._end_sizes = tuple(sorted({len(k) for k in self._by_end}))
        self._inside = tuple(kinds.get("in", {}).items())
        self._memo.clear()

    def lookup_all(self, words: list[str]) -> list[_Word]:
        """`lookup` of every word: one C-level pass over the memo, then the misses."""
        looked = list(map(self._memo.get, words))
        if None in looked:
            return [self.lookup(w) for w in words]
        return looked  # type: ignore[return-value]

    def lookup(self, word: str) -> _Word:
        """The phrases that may start at `word` and the patterns it lets run (memoised)."""
        found = self._memo.get(word)
        if found is None:
            entries = list(self.exact.get(word, ()))
            for length in self.stem_lengths:
                if length > len(word):
                    break
                entries.extend(self.stems.get(word[:length], ()))
            patterns = list(self._by_word.get(word, ()))
            for size in self._start_sizes:
                patterns.extend(self._by_start.get(word[:size], ()))
            for size in self._end_sizes:
                patterns.extend(self._by_end.get(word[-size:], ()))
            patterns.extend(p for piece, ps in self._inside if piece in word for p in ps)
            singles = tuple(key for phrase, _, _, key in entries if len(phrase) == 1)
            by_second: dict[str, list[_Entry]] = {}
            starred_second = []
            for entry in entries:
                phrase, _, stars, _ = entry
                if len(phrase) > 1 and stars[1]:
                    starred_second.append(entry)
                elif len(phrase) > 1:
                    by_second.setdefault(phrase[1], []).append(entry)
            found = _Word(
                singles,
                {w: tuple(es) for w, es in by_second.items()},
                tuple(starred_second),
                tuple(patterns),
            )
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[word] = found
        return found


def _fits(key: Key, word: str) -> bool:
    piece, how = key
    if how == "word":
        return word == piece
    if how == "start":
        return word.startswith(piece)
    if how == "end":
        return word.endswith(piece)
    return piece in word


class Found:
    """Every phrase and pattern match in one text, found once."""

    __slots__ = ("_found", "text")

    def __init__(
        self,
        index: PhraseIndex,
        text: str,
        tokens: Sequence[re.Match[str]],
        words: list[str] | None = None,
    ) -> None:
        self.text = text
        if words is None:
            words = [m.group() for m in tokens]
        looked = index.lookup_all(words)
        found = _scan(words, tokens, looked)
        runnable = set(index.always)
        for word in looked:
            runnable.update(word.patterns)
        for pattern in runnable:
            if pattern.prefilter is not None and not pattern.prefilter.search(text):
                continue
            spans = _run(pattern.regex, text)
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


def _scan(
    words: list[str], tokens: Sequence[re.Match[str]], looked: list[_Word]
) -> dict[int, list[Span]]:
    n = len(words)
    out: dict[int, list[Span]] = {}
    for i, (singles, by_second, starred_second, _) in enumerate(looked):
        for key in singles:
            out.setdefault(key, []).append(tokens[i].span())
        if i + 1 == n or not (by_second or starred_second):
            continue
        second = words[i + 1]
        for phrase, starred, stars, key in (*by_second.get(second, ()), *starred_second):
            last = i + len(phrase) - 1
            if last >= n or (stars[1] and not second.startswith(phrase[1])):
                continue
            if len(phrase) > 2 and not _rest(words, i, phrase, stars if starred else None):
                continue
            out.setdefault(key, []).append((tokens[i].start(), tokens[last].end()))
    return out


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


# ------------------------------------------------------------------ anchors
#
# An anchor is a literal run of the pattern, marked with _LEFT when a word
# starts where it starts and _RIGHT when a word ends where it ends, so its
# longest word piece can be tested cheaply against each word of a message:
# equal to a word, a word's start, a word's end, or anywhere in a word.

_LEFT, _RIGHT = "\x02", "\x03"
Key = tuple[str, str]  # (word piece, "word" | "start" | "end" | "in")


def anchors(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which every match of `pattern` contains, or None.

    Read off the parsed regex: a run of literal characters is required where
    it stands; an alternation requires one of its branches' anchors; a group
    or a repeat of at least one requires its body's. Of the requirements of
    a sequence, the most selective is kept.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    found = _required(list(parsed), left=True, right=True)
    return frozenset(found) if found else None


def key(anchor: str) -> Key:
    """The best word piece of an anchor and how it must sit in a word."""
    left, right = anchor.startswith(_LEFT), anchor.endswith(_RIGHT)
    text = anchor.strip(_LEFT + _RIGHT)
    best: tuple[int, Key] = (-1, ("", "in"))
    for m in _WORD.finditer(text):
        starts = m.start() > 0 or left
        ends = m.end() < len(text) or right
        mode = {(True, True): "word", (True, False): "start", (False, True): "end"}
        how = mode.get((starts, ends), "in")
        score = len(m.group()) + {"word": 4, "start": 2, "end": 2, "in": 0}[how]
        if score > best[0]:
            best = (score, (m.group(), how))
    return best[1]


def _score(anchor: str) -> int:
    piece, how = key(anchor)
    return len(piece) + {"word": 4, "start": 2, "end": 2, "in": 0}[how] if piece else 0


def _better(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    key_a, key_b = (min(map(_score, a)), -len(a)), (min(map(_score, b)), -len(b))
    return a if key_a >= key_b else b


def _required(items: list[tuple[Any, Any]], left: bool, right: bool) -> set[str] | None:
    c = sre_constants
    best: set[str] | None = None
    run, run_left = "", False

    def close(run: str, run_left: bool, run_right: bool) -> set[str] | None:
        if len(run) < _MIN_ANCHOR:
            return None
        return {(_LEFT if run_left else "") + run + (_RIGHT if run_right else "")}

    for i, (op, av) in enumerate(items):
        last = i == len(items) - 1
        if op is c.LITERAL:
            if not run:
                run_left = left
            run += chr(av)
            # a word starts after a literal only if that literal is not a word character
            left = not _WORD.match(chr(av))
            continue
        boundary = op is c.AT and av is c.AT_BOUNDARY
        best, run = _better(best, close(run, run_left, boundary)), ""
        # a word ends where the item ends: at the end of a bounded sequence or before a `\b`
        ends = (right and last) or (not last and items[i + 1] == (c.AT, c.AT_BOUNDARY))
        if op is c.SUBPATTERN:
            best = _better(best, _required(list(av[-1]), left, ends))
        elif op is c.BRANCH:
            alternatives = [_required(list(alt), left, ends) for alt in av[1]]
            if all(alternatives):
                best = _better(best, set().union(*alternatives))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            best = _better(best, _required(list(av[2]), False, False))
        # zero-width items keep what is known about a word starting here
        left = boundary or (left and op in (c.AT, c.ASSERT, c.ASSERT_NOT))
    best = _better(best, close(run, run_left, right))
    if best is not None and min(map(_score, best)) < _MIN_ANCHOR:
        return None
    return best


def prefilter(pattern: str) -> re.Pattern[str] | None:
    """For a pattern without anchors: a cheap regex every match must contain.

    A required repeat of one character class (`[b-df-hj-np-tv-xz]{5,}`)
    becomes a search for that many of the class, which the regex engine
    runs in C far faster than the pattern itself.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    return _class_run(list(parsed))


def _class_run(items: list[tuple[Any, Any]]) -> re.Pattern[str] | None:
    c = sre_constants
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            body = list(av[2])
            if av[0] >= 3 and len(body) == 1 and body[0][0] is c.IN:
                chars = _class(body[0][1])
                if chars is not None:
                    return re.compile(f"[{chars}]{{{av[0]}}}")
            found = _class_run(body)
            if found is not None:
                return found
        elif op is c.SUBPATTERN:
            found = _class_run(list(av[-1]))
            if found is not None:
                return found
    return None


def _class(members: list[tuple[Any, Any]]) -> str | None:
    c, out = sre_constants, ""
    for op, av in members:
        if op is c.LITERAL:
            out += re.escape(chr(av))
        elif op is c.RANGE:
            out += re.escape(chr(av[0])) + "-" + re.escape(chr(av[1]))
        else:
            return None
    return out
