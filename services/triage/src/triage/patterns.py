"""Rule patterns behind a literal prefilter, and the words that let them run.

Rule `patterns` run as regular expressions, but each pattern carries the
literal strings that any match of it must contain ("anchors", derived
automatically from the parsed regex at compile time: for
`(cant|unable to) (\\w+ )?breathe` that is {"breathe"}). A pattern only runs
when one of its anchors occurs in the text, which is a cheap substring test;
a pattern whose anchors cannot be derived always runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from triage.anchors import Key, anchors, fits, prefilter, requirements
from triage.anchors import key as anchor_key
from triage.words import is_word_char


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


def compile_pattern(key: int, pattern: str) -> Pattern:
    """`pattern` of the matcher `key`, compiled, with its anchors and prefilter."""
    # Compiled without the leading `\b` (checked by hand in `matching._run`)
    # so the regex engine can use its fast literal/charset prefix scan.
    regex = re.compile(r"(?:" + pattern + r")\b")
    found = anchors(pattern)
    quick = None if found else prefilter(pattern)
    return Pattern(key, regex, found, quick, tuple(requirements(pattern)), _ascii(regex))


def with_needs(pattern: Pattern) -> Pattern:
    """`pattern` with the conditions it needs from the words of a message.

    Each anchor group whose every literal has a word piece is one condition;
    failing those, a prefilter that matches inside one word is. A copy is
    made because each condition points back at the pattern it belongs to.
    """
    conditions: list[tuple[frozenset[Key], re.Pattern[str] | None]] = []
    for group in pattern.groups or ((pattern.anchors,) if pattern.anchors else ()):
        keys = frozenset(anchor_key(a) for a in group)
        if all(piece for piece, _ in keys):
            conditions.append((keys, None))
    if not conditions and pattern.prefilter is not None and _in_words(pattern.prefilter):
        conditions.append((frozenset(), pattern.prefilter))
    out = Pattern(
        pattern.key,
        pattern.regex,
        pattern.anchors,
        pattern.prefilter,
        pattern.groups,
        pattern.ascii,
    )
    object.__setattr__(out, "needs", tuple(Need(out, k, t) for k, t in conditions))
    return out


class NeedIndex:
    """word -> the pattern conditions it meets, by the word pieces of the anchors.

    An anchor literal such as "cant " or "over the " occurs in a text only
    if some word of the text contains its longest word piece ("cant",
    "over"), so the conditions a text meets are the union of its words'.
    """

    __slots__ = (
        "_by_end",
        "_by_start",
        "_by_word",
        "_end_sizes",
        "_inside",
        "_start_sizes",
        "_tests",
    )

    def __init__(self, patterns: Iterable[Pattern] = ()) -> None:
        pieces: dict[Key, list[Need]] = {}
        tests: list[Need] = []
        for pattern in patterns:
            for need in pattern.needs:
                if need.test is not None:
                    tests.append(need)
                for k in need.keys:
                    pieces.setdefault(k, []).append(need)
        kinds: dict[str, dict[str, tuple[Need, ...]]] = {}
        for (piece, how), needs in pieces.items():
            kinds.setdefault(how, {})[piece] = tuple(needs)
        self._by_word = kinds.get("word", {})
        self._by_start = kinds.get("start", {})
        self._by_end = kinds.get("end", {})
        self._start_sizes = tuple(sorted({len(k) for k in self._by_start}))
        self._end_sizes = tuple(sorted({len(k) for k in self._by_end}))
        self._inside = tuple(kinds.get("in", {}).items())
        # conditions tested against each distinct word by a regex (class runs)
        self._tests = tuple(tests)

    def met(self, word: str) -> list[Need]:
        """The conditions `word` meets (a condition may appear more than once)."""
        needs = list(self._by_word.get(word, ()))
        for size in self._start_sizes:
            needs.extend(self._by_start.get(word[:size], ()))
        for size in self._end_sizes:
            needs.extend(self._by_end.get(word[-size:], ()))
        needs.extend(n for piece, ns in self._inside if piece in word for n in ns)
        needs.extend(n for n in self._tests if n.met_by(word))
        return needs


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
        if not all(is_word_char(chr(ch)) for ch in chars):
            return False
    return True
