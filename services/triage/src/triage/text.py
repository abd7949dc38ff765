"""Text normalisation and the scope of a phrase.

Rules and messages go through the same `normalise`, so a rule author writes
"can't breathe" and it also matches "cant breathe", "cannot breathe" and
"CAN NOT BREATHE". Accents are dropped because Spanish writers often omit
them on a phone keyboard.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import filterfalse

# dropped; and Spanish opening marks to spaces
_DROPPED = ("’", "‘", "'", "`", "´")
_SPACED = ("¿", "¡")
_CONTRACTIONS = {
    "cannot": "cant",
    "can not": "cant",
    "could not": "couldnt",
    "do not": "dont",
    "does not": "doesnt",
    "did not": "didnt",
    "is not": "isnt",
    "are not": "arent",
    "was not": "wasnt",
    "were not": "werent",
    "will not": "wont",
    "would not": "wouldnt",
    "has not": "hasnt",
    "have not": "havent",
}
# the word before " not" -> the contraction of the two
_BEFORE_NOT = {k[: -len(" not")]: v for k, v in _CONTRACTIONS.items() if k.endswith(" not")}
_BEFORE_NOT_SIZES = sorted({len(w) for w in _BEFORE_NOT})
# The usual combining marks (U+0300-U+036F), as one class: removing them
# with a regex leaves the rare others to a per-character filter.
_MARKS = re.compile(
    "[" + "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))) + "]+"
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
# A sentence ends at . ! ? ; or a line break; a clause also at a comma,
# a dash or "but"/"pero", which is where negation and "if" stop reaching.
SENTENCE_END = re.compile(r"[.!?;\n]+")
CLAUSE_END = re.compile(r"[.!?;,:\n()\-]+|\b(?:but|pero|although|aunque)\b")
# The same over ASCII text (the usual case once accents are gone), where
# `\w` and `\b` mean the same in both modes but are far cheaper to test.
_CLAUSE_END_ASCII = re.compile(CLAUSE_END.pattern, re.ASCII)
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """Lower-case, accent-free, apostrophe-free text with one space between words."""
    if text.isascii():
        # plain `str.replace` (a memchr scan) when there is anything to drop
        if "'" in text:
            text = text.replace("'", "")
        if "`" in text:
            text = text.replace("`", "")
        plain = text.lower()
    else:
        for ch in _DROPPED:
            if ch in text:
                text = text.replace(ch, "")
        for ch in _SPACED:
            if ch in text:
                text = text.replace(ch, " ")
        plain = text.lower()
        if not plain.isascii():
            plain = _MARKS.sub("", unicodedata.normalize("NFKD", plain))
            if not plain.isascii():
                plain = "".join(filterfalse(unicodedata.combining, plain))
    # every form is "cannot" or "<word> not"
    if " not" in plain or "cannot" in plain:
        plain = _contract(plain)
    # Collapsing runs of spaces with a regex costs a match per space; most
    # texts have nothing to collapse, which a few substring tests show.
    if "  " in plain or "\t" in plain or "\r" in plain or "\f" in plain or "\v" in plain:
        plain = _SPACES.sub(" ", plain)
    return plain.strip()


def _contract(text: str) -> str:
    """Every whole-word "cannot", "can not", "do not", ... written as one word ("cant").

    The matches of `\\b(cannot|can not|do not|...)\\b`, found from the
    occurrences of "not" (a fast substring search) rather than by trying the
    alternation at every letter. Each "not" ends at most one form, and the
    forms never overlap, since none of the words before " not" is "not".
    """
    pieces: list[str] = []
    done, size = 0, len(text)
    p = text.find("not")
    while p >= 0:
        end = p + 3
        start, short = -1, ""
        if end == size or not _is_word(text[end]):
            if p >= 3 and text.startswith("can", p - 3):
                start, short = p - 3, "cant"
            elif p and text[p - 1] == " ":
                for n in _BEFORE_NOT_SIZES:
                    q = p - 1 - n
                    if q >= done and text[q : p - 1] in _BEFORE_NOT:
                        start, short = q, _BEFORE_NOT[text[q : p - 1]]
                        break
            if start >= done and start > 0 and _is_word(text[start - 1]):
                start = -1  # not at a word start
        if start >= done:
            pieces += (text[done:start], short)
            done = end
        p = text.find("not", p + 1)
    return "".join(pieces) + text[done:] if pieces else text


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def message_text(fields: Mapping[str, str | None]) -> str:
    """The subject (if any) as its own sentence, then the message."""
    subject = (fields.get("subject") or "").strip()
    message = (fields.get("message") or "").strip()
    return f"{subject}.\n{message}" if subject else message


@dataclass(frozen=True, slots=True)
class Spans:
    """Sentence and clause boundaries of one normalised text."""

    sentence_starts: tuple[int, ...]
    clause_starts: tuple[int, ...]


def spans(normalised: str) -> Spans:
    clause_end = _CLAUSE_END_ASCII if normalised.isascii() else CLAUSE_END
    sentences = (0, *(m.end() for m in SENTENCE_END.finditer(normalised)))
    clauses = (0, *(m.end() for m in clause_end.finditer(normalised)))
    return Spans(sentences, clauses)


def _start_before(starts: tuple[int, ...], pos: int) -> int:
    best = 0
    for start in starts:
        if start > pos:
            break
        best = start
    return best


def sentence_bounds(text: str, sp: Spans, start: int, end: int) -> tuple[int, int]:
    """Where the sentence around text[start:end] begins and ends."""
    stop = SENTENCE_END.search(text, end)
    return _start_before(sp.sentence_starts, start), stop.start() if stop else len(text)


def clause_start(sp: Spans, start: int) -> int:
    return _start_before(sp.clause_starts, start)


def clause_prefix(text: str, sp: Spans, start: int) -> str:
    """The clause up to (not including) position `start`."""
    return text[clause_start(sp, start) : start]


def words_before(text: str, sp: Spans, start: int, count: int) -> list[str]:
    """The last `count` words of the clause before `start`."""
    return _words(clause_prefix(text, sp, start))[-count:] if count else []


# One byte per character: b"." where a sentence (or clause) may end, else b"x".
_SENTENCE_MARKS = bytes(ord(".") if chr(c) in ".!?;\n" else ord("x") for c in range(256))
_CLAUSE_MARKS = bytes(ord(".") if chr(c) in ".!?;,:\n()-" else ord("x") for c in range(256))
_CLAUSE_WORDS = ("but", "pero", "although", "aunque")


class Bounds:
    """Sentence and clause bounds around positions of one normalised text, on demand.

    The same answers as `spans` with `sentence_bounds` and `clause_start`,
    which scan the whole text with two regexes (a costly match per
    punctuation mark); here ASCII text is mapped once to a byte per
    character that says whether it ends a sentence or a clause, and each
    question is a backward `rfind` or two.
    """

    __slots__ = ("_clause", "_sentence", "_spans", "_words", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._spans: Spans | None = None
        if text.isascii():
            raw = text.encode("ascii")
            self._sentence = raw.translate(_SENTENCE_MARKS)
            self._clause = raw.translate(_CLAUSE_MARKS)
            self._words = [w for w in _CLAUSE_WORDS if w in text]
        else:
            self._spans = spans(text)

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """Where the sentence around text[start:end] begins and ends."""
        if self._spans is not None:
            return sentence_bounds(self.text, self._spans, start, end)
        stop = self._sentence.find(b".", end)
        return _last_run_end(self._sentence, start), stop if stop >= 0 else len(self.text)

    def clause_start(self, pos: int) -> int:
        """Where the clause holding position `pos` begins."""
        if self._spans is not None:
            return clause_start(self._spans, pos)
        best = _last_run_end(self._clause, pos)
        text, size = self.text, len(self.text)
        for word in self._words:  # the last whole "but" (...) ending at or before pos
            k = text.rfind(word, best, pos)
            while k >= 0:
                end = k + len(word)
                if (k == 0 or not _is_word(text[k - 1])) and (
                    end == size or not _is_word(text[end])
                ):
                    best = end
                    break
                k = text.rfind(word, best, end - 1)
        return best

    def words_before(self, start: int, count: int) -> list[str]:
        """The last `count` words of the clause before `start`."""
        return _words(self.text[self.clause_start(start) : start])[-count:] if count else []


def _last_run_end(marks: bytes, pos: int) -> int:
    """The last end of a run of b"." in `marks` at or before `pos` (0 if none)."""
    j = marks.rfind(b".", 0, pos)
    if j >= 0 and j + 1 == pos and marks.startswith(b".", pos):
        # that run goes on past pos: the run before it, then
        j = marks.rfind(b".", 0, marks.rfind(b"x", 0, j) + 1)
    return j + 1


@lru_cache(maxsize=4096)
def _words(chunk: str) -> list[str]:
    return _WORD.findall(chunk)


def deletions(word: str) -> set[str]:
    """Every string one character shorter than `word` (SymSpell-style)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
