"""Text normalisation, language guess and the scope of a phrase.

Rules and messages go through the same `normalise`, so a rule author writes
"can't breathe" and it also matches "cant breathe", "cannot breathe" and
"CAN NOT BREATHE". Accents are dropped because Spanish writers often omit
them on a phone keyboard.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "", "‘": "", "'": "", "`": "", "´": "", "¿": " ", "¡": " "})
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
_CONTRACTION_RE = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b")
_SPACES = re.compile(r"[ \t\r\f\v]+")
# A sentence ends at . ! ? ; or a line break; a clause also at a comma,
# a dash or "but"/"pero", which is where negation and "if" stop reaching.
SENTENCE_END = re.compile(r"[.!?;\n]+")
CLAUSE_END = re.compile(r"[.!?;,:\n()\-]+|\b(?:but|pero|although|aunque)\b")
_WORD = re.compile(r"\w+")

_ES_WORDS = frozenset(
    [
        "de",
        "la",
        "el",
        "que",
        "y",
        "en",
        "los",
        "las",
        "se",
        "por",
        "con",
        "para",
        "una",
        "un",
        "mi",
        "es",
        "del",
        "al",
        "muy",
        "pero",
        "su",
        "hola",
        "gracias",
        "esta",
        "estoy",
        "tiene",
        "puede",
        "ayuda",
        "nos",
        "le",
        "lo",
        "mas",
        "como",
        "hace",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "to",
        "of",
        "is",
        "my",
        "in",
        "it",
        "that",
        "for",
        "on",
        "with",
        "this",
        "he",
        "she",
        "we",
        "you",
        "was",
        "have",
        "are",
        "be",
        "at",
        "not",
        "his",
        "her",
        "our",
        "can",
        "but",
        "from",
    ]
)


def normalise(text: str) -> str:
    """Lower-case, accent-free, apostrophe-free text with one space between words."""
    plain = text.translate(_APOSTROPHES).lower()
    if not plain.isascii():
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if "not" in plain:
        plain = _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(1)], plain)
    return _SPACES.sub(" ", plain).strip()


def message_text(fields: Mapping[str, str | None]) -> str:
    """The subject (if any) as its own sentence, then the message."""
    subject = (fields.get("subject") or "").strip()
    message = (fields.get("message") or "").strip()
    return f"{subject}.\n{message}" if subject else message


def detect_language(normalised: str) -> str:
    """'es' when Spanish function words outnumber English ones, else 'en'."""
    return language_of(_WORD.findall(normalised))


def language_of(words: Iterable[str]) -> str:
    """`detect_language` for words already split out of normalised text."""
    es = en = 0
    for word in words:
        if word in _ES_WORDS:
            es += 1
        elif word in _EN_WORDS:
            en += 1
    return "es" if es > en else "en"


@dataclass(frozen=True, slots=True)
class Spans:
    """Sentence and clause boundaries of one normalised text."""

    sentence_starts: tuple[int, ...]
    clause_starts: tuple[int, ...]


def spans(normalised: str) -> Spans:
    sentences = (0, *(m.end() for m in SENTENCE_END.finditer(normalised)))
    clauses = (0, *(m.end() for m in CLAUSE_END.finditer(normalised)))
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


@lru_cache(maxsize=4096)
def _words(chunk: str) -> list[str]:
    return _WORD.findall(chunk)


def deletions(word: str) -> set[str]:
    """Every string one character shorter than `word` (SymSpell-style)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
