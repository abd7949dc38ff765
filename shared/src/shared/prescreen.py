"""A queue-jumping hint, not a classification: does a submission mention danger?

The intake uses it only to pick the routing key (`submission.<form>.priority`),
so a possible emergency waits in the small `triage.priority` queue instead of
behind a flood of routine and spam submissions in `triage.submissions`.
Triage classifies every submission the same way whichever queue it came from;
this hint never decides an urgency, never delays anything and never drops
anything. A miss only means the ordinary queue; a false hit (spam that says
"emergency") only means the short one.

Deliberately broad and cheap (one precompiled regex, a few microseconds):
word stems in English and Spanish for breathing, choking, falls, self-harm,
unconsciousness, seizures, bleeding and plain calls for help.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_STEMS = (
    # breathing, choking
    r"breath",
    r"gasp",
    r"chok",
    r"chocking",
    r"suffocat",
    r"respir",
    r"ahog",
    r"asfixi",
    r"oxygen",
    r"oxigeno",
    r"ventilator",
    r"bipap",
    r"trach",
    r"suction",
    # falls
    r"fell",
    r"fallen",
    r"on the floor",
    r"on the ground",
    r"se cayo",
    r"me cai",
    r"en el (piso|suelo)",
    # self-harm, harm
    r"suicid",
    r"kill (my|him|her)sel",
    r"end (my|his|her|it) (life|all)",
    r"want(s|ed)? to die",
    r"better off without",
    r"overdos",
    r"pills",
    r"quiero morir",
    r"matarme",
    r"quitarme la vida",
    r"gun",
    r"hurt",
    r"abus",
    # consciousness, seizure, bleeding
    r"unconscious",
    r"unrespons",
    r"not responding",
    r"wont wake",
    r"cant wake",
    r"no responde",
    r"no despierta",
    r"seiz",
    r"sezure",
    r"convuls",
    r"bleed",
    r"blood",
    r"sangr",
    r"blue",
    # plain calls for help; not "urgent" or "help us": spam and everyday
    # questions say them all the time, and a flood of them would fill the lane
    r"emergenc",
    r"911",
    r"ambulanc",
    r"help (right )?now",
    r"auxilio",
    r"socorro",
    r"ayuda (ya|ahora|urgente)",
    r"dying",
    r"missing",
    r"fire",
)


def _pattern(stems: Iterable[str]) -> re.Pattern[str]:
    # Stems grouped by their first letter, after a lookbehind instead of \b:
    # the engine then tries one branch per word start instead of every stem,
    # about 4x faster on a long message (the intake runs this per request).
    groups: dict[str, list[str]] = {}
    for stem in stems:
        groups.setdefault(stem[0], []).append(stem[1:])
    branches = (f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items())
    return re.compile(r"(?<!\w)(?:" + "|".join(branches) + ")")


_DANGER = _pattern(_STEMS)
_APOSTROPHES = str.maketrans({"'": "", "\u2019": "", "\u2018": ""})


def _plain(text: str) -> str:
    # Lower case, no accents, no apostrophes: "Can’t" -> "cant", "cayó" -> "cayo".
    if text.isascii():
        # Nothing to fold: the common case costs a lower() instead of a
        # per-character walk.
        return text.lower().translate(_APOSTROPHES)
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(_APOSTROPHES)


def mentions_danger(texts: Iterable[str | None]) -> bool:
    """True when any text has a danger word stem (broad on purpose)."""
    return any(text and _DANGER.search(_plain(text)) for text in texts)
