"""What a rule pattern needs in order to match: its literal anchors.

Derived once, at compile time, from the parsed regex: for
`(cant|unable to) (\\w+ )?breathe` the anchor is {"breathe"}. The matcher runs
a pattern only when a word of the message holds one of its anchors (a cheap
test against each word, memoised), so most patterns never run at all.
"""

from __future__ import annotations

import re
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_MIN_ANCHOR = 2
_WORD = re.compile(r"\w+")
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


def requirements(pattern: str) -> list[frozenset[str]]:
    """Every group of literals of which each match of `pattern` contains one.

    `anchors` keeps only the most selective group; a sequence requires
    all of its items, so each one that yields a group gives one here.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return []
    if parsed.state.flags & re.IGNORECASE:
        return []
    out: list[frozenset[str]] = []
    for group in _all_required(list(parsed), left=True, right=True):
        if group and min(map(_score, group)) >= _MIN_ANCHOR and frozenset(group) not in out:
            out.append(frozenset(group))
    return out


def _all_required(items: list[tuple[Any, Any]], left: bool, right: bool) -> list[set[str]]:
    """Every requirement of a sequence, in order: a run of literals is required
    where it stands; an alternation requires one of its branches' best; a group
    or a repeat of at least one requires what its body requires."""
    c = sre_constants
    out: list[set[str]] = []
    run, run_left = "", False

    def close(run: str, run_left: bool, run_right: bool) -> None:
        if len(run) >= _MIN_ANCHOR:
            out.append({(_LEFT if run_left else "") + run + (_RIGHT if run_right else "")})

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
        close(run, run_left, boundary)
        run = ""
        # a word ends where the item ends: at the end of a bounded sequence or before a `\b`
        ends = (right and last) or (not last and items[i + 1] == (c.AT, c.AT_BOUNDARY))
        if op is c.SUBPATTERN:
            out.extend(_all_required(list(av[-1]), left, ends))
        elif op is c.ATOMIC_GROUP:
            out.extend(_all_required(list(av), left, ends))
        elif op is c.BRANCH:
            alternatives = [_required(list(alt), left, ends) for alt in av[1]]
            if all(alternatives):
                out.append(set().union(*alternatives))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            out.extend(_all_required(list(av[2]), False, False))
        # zero-width items keep what is known about a word starting here
        left = boundary or (left and op in (c.AT, c.ASSERT, c.ASSERT_NOT))
    close(run, run_left, right)
    return out


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
    """The most selective of a sequence's requirements (None if none is selective
    enough); on a tie, the first."""
    best: set[str] | None = None
    for group in _all_required(items, left, right):
        best = _better(best, group)
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
        elif op in (c.SUBPATTERN, c.ATOMIC_GROUP):
            found = _class_run(list(av[-1] if op is c.SUBPATTERN else av))
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


def fits(key: Key, word: str) -> bool:
    piece, how = key
    if how == "word":
        return word == piece
    if how == "start":
        return word.startswith(piece)
    if how == "end":
        return word.endswith(piece)
    return piece in word
