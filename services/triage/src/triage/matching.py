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
import string
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from itertools import accumulate, compress, count
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import NamedTuple, cast

from triage.anchors import Key, anchors, fits, prefilter, requirements
from triage.anchors import key as anchor_key

Span = tuple[int, int]
WORD = re.compile(r"\w+")
_WORD = WORD
# ASCII text: every non-word character to a space, so `split` finds the words
_WORD_CHARS = string.ascii_letters + string.digits + "_"
_TO_SPACE = bytes(c if chr(c) in _WORD_CHARS else ord(" ") for c in range(256))
# Anchors shorter than this filter too little to be worth a test.
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
    # Every group of literals of which a match must contain one (`anchors`
    # is the most selective); the pattern runs only when all are present.
    groups: tuple[frozenset[str], ...] = ()
    # the same regex compiled with re.ASCII, for ASCII text (None: use `regex`)
    ascii: re.Pattern[str] | None = None
    needs: tuple[Need, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Need:
    """One condition a pattern needs from some word of the message."""

    pattern: Pattern
    # (word piece, how) of each anchor of the group, or a word-level prefilter
    keys: frozenset[Key]
    test: re.Pattern[str] | None = None

    def met_by(self, word: str) -> bool:
        if self.test is not None:
            return self.test.search(word) is not None
        return any(fits(k, word) for k in self.keys)


class _Word(NamedTuple):
    """What one word of a message may start, looked up once per distinct word."""

    singles: tuple[int, ...]  # keys of one-word phrases that are this word
    by_second: dict[str, tuple[_Entry, ...]]  # longer phrases, by their second word
    starred_second: tuple[_Entry, ...]  # longer phrases whose second word is a stem
    needs: tuple[Need, ...]  # the pattern conditions this word meets


# A word that starts no phrase and meets no pattern condition: falsy, so
# `compress` skips it at C speed.
_NOTHING: _Word | tuple[()] = ()
_Looked = _Word | tuple[()]


class _Memo(dict[str, _Looked]):
    """word -> what it may start; a miss is worked out (and kept) by the index."""

    __slots__ = ("_learn",)

    def __init__(self, learn: Callable[[str], _Looked]) -> None:
        super().__init__()
        self._learn = learn

    def __missing__(self, word: str) -> _Looked:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        found = self[word] = self._learn(word)
        return found


@dataclass(slots=True)
class PhraseIndex:
    exact: dict[str, list[_Entry]] = field(default_factory=dict)
    stems: dict[str, list[_Entry]] = field(default_factory=dict)
    stem_lengths: tuple[int, ...] = ()
    size: int = 0
    patterns: list[Pattern] = field(default_factory=list)
    # Patterns that run whatever the text (no anchors could be derived).
    always: tuple[Pattern, ...] = ()
    # word piece of an anchor -> the pattern conditions it meets
    by_anchor: dict[Key, tuple[Need, ...]] = field(default_factory=dict)
    _memo: _Memo = field(init=False)
    _by_word: dict[str, tuple[Need, ...]] = field(default_factory=dict)
    _by_start: dict[str, tuple[Need, ...]] = field(default_factory=dict)
    _by_end: dict[str, tuple[Need, ...]] = field(default_factory=dict)
    _start_sizes: tuple[int, ...] = ()
    _end_sizes: tuple[int, ...] = ()
    _inside: tuple[tuple[str, tuple[Need, ...]], ...] = ()
    # conditions tested against each distinct word by a regex (class runs)
    _word_tests: tuple[Need, ...] = ()

    def __post_init__(self) -> None:
        self._memo = _Memo(self._learn)

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
            groups = tuple(requirements(pattern))
            self.patterns.append(Pattern(key, regex, found, quick, groups, _ascii(regex)))
        self._memo.clear()
        return Matcher(key)

    def finish(self) -> None:
        """Index the patterns by the word pieces of their anchors, once every rule is in.

        An anchor literal such as "cant " or "over the " occurs in a text
        only if some word of the text contains its longest word piece
        ("cant", "over"), so which patterns may match is the union over the
        message's words of a per-word answer, memoised like the phrases.
        A pattern usually requires several such groups ("(call|phone) ...
        (today|tonight)"): it runs only when every group is present.
        A pattern without anchors whose prefilter is a run of word
        characters is tested per distinct word the same way.
        """
        pieces: dict[Key, list[Need]] = {}
        always, tests = [], []
        for i, pattern in enumerate(self.patterns):
            needs: list[Need] = []
            for group in pattern.groups or ((pattern.anchors,) if pattern.anchors else ()):
                keys = frozenset(anchor_key(a) for a in group)
                if all(piece for piece, _ in keys):
                    needs.append(Need(pattern, keys))
            if not needs and pattern.prefilter is not None and _in_words(pattern.prefilter):
                needs.append(Need(pattern, frozenset(), pattern.prefilter))
            pattern = self.patterns[i] = _with_needs(pattern, needs)
            if not pattern.needs:
                always.append(pattern)
            for need in pattern.needs:
                if need.test is not None:
                    tests.append(need)
                for k in need.keys:
                    pieces.setdefault(k, []).append(need)
        self.always = tuple(always)
        self._word_tests = tuple(tests)
        self.by_anchor = {a: tuple(ns) for a, ns in pieces.items()}
        kinds: dict[str, dict[str, tuple[Need, ...]]] = {}
        for (piece, how), ns in self.by_anchor.items():
            kinds.setdefault(how, {})[piece] = ns
        self._by_word = kinds.get("word", {})
        self._by_start = kinds.get("start", {})
        self._by_end = kinds.get("end", {})
        self._start_sizes = tuple(sorted({len(k) for k in self._by_start}))
        self._end_sizes = tuple(sorted({len(k) for k in self._by_end}))
        self._inside = tuple(kinds.get("in", {}).items())
        self._memo.clear()

    def lookup_all(self, words: list[str]) -> list[_Looked]:
        """`lookup` of every word: one C-level pass over the memo (misses filled in)."""
        return list(map(self._memo.__getitem__, words))

    def lookup(self, word: str) -> _Word:
        """The phrases that may start at `word` and the pattern conditions it meets."""
        found = self._memo[word]
        return found if found else _Word((), {}, (), ())

    def _learn(self, word: str) -> _Looked:
        entries = list(self.exact.get(word, ()))
        for length in self.stem_lengths:
            if length > len(word):
                break
            entries.extend(self.stems.get(word[:length], ()))
        needs = list(self._by_word.get(word, ()))
        for size in self._start_sizes:
            needs.extend(self._by_start.get(word[:size], ()))
        for size in self._end_sizes:
            needs.extend(self._by_end.get(word[-size:], ()))
        needs.extend(n for piece, ns in self._inside if piece in word for n in ns)
        needs.extend(n for n in self._word_tests if n.met_by(word))
        singles = tuple(key for phrase, _, _, key in entries if len(phrase) == 1)
        by_second: dict[str, list[_Entry]] = {}
        starred_second = []
        for entry in entries:
            phrase, _, stars, _ = entry
            if len(phrase) > 1 and stars[1]:
                starred_second.append(entry)
            elif len(phrase) > 1:
                by_second.setdefault(phrase[1], []).append(entry)
        if not (singles or by_second or starred_second or needs):
            return _NOTHING
        return _Word(
            singles,
            {w: tuple(es) for w, es in by_second.items()},
            tuple(starred_second),
            tuple(dict.fromkeys(needs)),
        )


def _with_needs(pattern: Pattern, needs: list[Need]) -> Pattern:
    """`pattern` with its conditions (which point back at the pattern itself)."""
    out = Pattern(
        pattern.key,
        pattern.regex,
        pattern.anchors,
        pattern.prefilter,
        pattern.groups,
        pattern.ascii,
    )
    object.__setattr__(out, "needs", tuple(Need(out, n.keys, n.test) for n in needs))
    return out


def _ascii(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    r"""`regex` compiled with re.ASCII, when that finds the same matches in ASCII text.

    It does unless the pattern has non-ASCII literals (which case-folding
    could match to ASCII letters) or asks for Unicode itself; `\s` differs
    on \x1c-\x1f, which `Text.ascii` excludes.
    """
    if not regex.pattern.isascii():
        return None
    try:
        return re.compile(regex.pattern, regex.flags & ~re.UNICODE | re.ASCII)
    except (re.error, ValueError):
        return None


def _in_words(quick: re.Pattern[str]) -> bool:
    r"""Whether every match of `quick` lies inside one word (a run of `\w` characters)."""
    parsed = sre_parse.parse(quick.pattern)
    c = sre_constants
    items = list(parsed)
    if len(items) != 1 or items[0][0] not in (c.MAX_REPEAT, c.MIN_REPEAT):
        return False
    low, _, body = items[0][1]
    body = list(body)
    if low < 1 or len(body) != 1 or body[0][0] is not c.IN:
        return False
    for op, av in body[0][1]:
        if op is c.LITERAL:
            chars = [av]
        elif op is c.RANGE:
            chars = list(range(av[0], av[1] + 1))
        else:
            return False
        if not all(_is_word(chr(ch)) for ch in chars):
            return False
    return True


class Text:
    """One normalised message split into words; word positions only when asked for.

    ASCII text (the usual case) is split by `str.translate` and `str.split`
    in C, which costs a fraction of a regex match per word; the position of
    a word comes from the lengths of the split pieces.
    """

    __slots__ = ("_ends", "_idx", "_parts", "_spans", "ascii", "chars", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        # `\s` (in rule patterns) differs between the modes on \x1c-\x1f only
        self.ascii = text.isascii() and not any(ch in text for ch in "\x1c\x1d\x1e\x1f")
        self._spans: list[tuple[int, int]] | None = None
        if text.isascii():
            # bytes.translate: a 256-entry table, no per-character lookups
            spaced = text.encode("ascii").translate(_TO_SPACE).decode("ascii")
            self._parts = spaced.split(" ")
            self.words = list(filter(None, self._parts))
            # the total length of the words
            self.chars = len(spaced) - spaced.count(" ")
        else:
            self._spans = [m.span() for m in _WORD.finditer(text)]
            self.words = [text[a:b] for a, b in self._spans]
            self.chars = sum(map(len, self.words))
        self._idx: list[int] | None = None
        self._ends: list[int] = []

    def span(self, i: int) -> tuple[int, int]:
        """Where the i-th word starts and ends."""
        if self._spans is not None:
            return self._spans[i]
        if self._idx is None:
            self._idx = list(compress(count(), self._parts))
            self._ends = list(accumulate(map(len, self._parts)))
        k = self._idx[i]
        end = self._ends[k] + k  # the pieces before, and one space after each
        return end - len(self.words[i]), end


class Found:
    """Every phrase and pattern match in one text, found once."""

    __slots__ = ("_found", "text")

    def __init__(self, index: PhraseIndex, text: str | Text) -> None:
        doc = text if isinstance(text, Text) else Text(text)
        self.text = plain = doc.text
        words = doc.words
        last = len(words) - 1
        looked = index.lookup_all(words)
        found: dict[int, list[Span]] = {}
        met: set[Need] = set()
        # only the words that start a phrase or meet a pattern's condition
        for i in compress(count(), looked):
            singles, by_second, starred_second, needs = cast(_Word, looked[i])
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
        # (a word passed a pattern's prefilter if it has one: no need to search again)
        runnable = [p for p in index.always if p.prefilter is None or p.prefilter.search(plain)]
        for need in met:
            pattern = need.pattern
            if need is pattern.needs[0] and (
                len(pattern.needs) == 1 or met.issuperset(pattern.needs)
            ):
                runnable.append(pattern)
        use_ascii = doc.ascii
        for pattern in runnable:
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
    doc: Text,
    i: int,
    by_second: dict[str, tuple[_Entry, ...]],
    starred_second: tuple[_Entry, ...],
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
