"""A queue-jumping hint, not a classification: does a submission mention danger?

The intake uses it only to pick the routing key (`submission.<form>.priority`),
so a possible emergency waits in the small `triage.priority` queue instead of
behind a flood of routine and spam submissions in `triage.submissions`.
Triage classifies every submission the same way whichever queue it came from;
this hint never decides an urgency, never delays anything and never drops
anything. A miss only means the ordinary queue; a false hit (spam that says
"emergency") only means the short one.

Deliberately broad and cheap (one precompiled regex, a few microseconds): the
shipped stems (`prescreen_stems.txt`, English and Spanish: breathing,
choking, falls, self-harm, unconsciousness, seizures, bleeding and plain calls
for help), or an operator's own list in the same format. Stems alone found
about half the labeled emergencies (18 of 30 in triage-dev.jsonl, 15 of 31 in
tests/data/triage-extra.jsonl), so a `second_opinion` (the intake passes
triage's classifier) reads the texts the stems let through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

DEFAULT_STEMS_FILE = Path(__file__).with_name("prescreen_stems.txt")
_APOSTROPHES = str.maketrans({"'": "", "\u2019": "", "\u2018": ""})


class PrescreenError(ValueError):
    """A stems file that cannot be used; the message names the file and line."""


class Prescreen:
    def __init__(
        self, stems: Sequence[str], second_opinion: Callable[[str], bool] | None = None
    ) -> None:
        self.stems = tuple(stems)
        self._danger = _pattern(self.stems)
        self._second_opinion = second_opinion

    def mentions_danger(self, texts: Iterable[str | None]) -> bool:
        """True when any text has a danger word stem at the start of a word, or
        the second opinion finds danger in the texts together."""
        present = [text for text in texts if text]
        if any(self._danger.search(_plain(text)) for text in present):
            return True
        opinion = self._second_opinion
        return bool(present) and opinion is not None and opinion("\n".join(present))


def load_prescreen(
    path: Path | None = None, second_opinion: Callable[[str], bool] | None = None
) -> Prescreen:
    """The stems of `path` (default: the shipped list): one regular expression
    per line, `#` starts a comment. Raises PrescreenError for a bad file."""
    source = path or DEFAULT_STEMS_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PrescreenError(f"{source}: cannot be read ({type(exc).__name__})") from None
    stems = []
    for number, line in enumerate(text.splitlines(), start=1):
        stem = line.partition("#")[0].strip()
        if not stem:
            continue
        problem = _problem(stem)
        if problem:
            raise PrescreenError(f"{source}:{number}: {problem}")
        stems.append(stem)
    if not stems:
        raise PrescreenError(f"{source}: no stems (every submission would wait in line)")
    return Prescreen(stems, second_opinion)


def _problem(stem: str) -> str | None:
    try:
        compiled = re.compile(stem)
    except re.error as exc:
        return f"not a regular expression ({exc})"
    if compiled.match(""):
        return "matches an empty text, so every submission would jump the queue"
    literal = re.sub(r"\\.", "", stem)  # escapes such as \s or \W are fine
    if literal != _plain(literal):
        return "texts are read in lower case without accents or apostrophes; write it so"
    return None


def _pattern(stems: Iterable[str]) -> re.Pattern[str]:
    # Stems grouped by their first letter, after a lookbehind instead of \b:
    # the engine then tries one branch per word start instead of every stem,
    # about 4x faster on a long message (the intake runs this per request).
    groups: dict[str, list[str]] = {}
    whole: list[str] = []
    for stem in stems:
        if _starts_with_letter(stem):
            groups.setdefault(stem[0], []).append(f"(?:{stem[1:]})")
        else:
            whole.append(f"(?:{stem})")
    branches = [f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items()]
    return re.compile(r"(?<!\w)(?:" + "|".join(branches + whole) + ")")


def _starts_with_letter(stem: str) -> bool:
    """Whether every match of `stem` starts with its first character, so it can
    be split off: not for "a?b", "a|b" or "(a|b)c" (read off the parsed regex)."""
    if not stem[0].isalnum():
        return False
    first = sre_parse.parse(stem)[0]
    return bool(first == (sre_constants.LITERAL, ord(stem[0])))


def _plain(text: str) -> str:
    # Lower case, no accents, no apostrophes: "Can’t" -> "cant", "cayó" -> "cayo".
    if text.isascii():
        # Nothing to fold: the common case costs a lower() instead of a
        # per-character walk.
        return text.lower().translate(_APOSTROPHES)
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(_APOSTROPHES)
