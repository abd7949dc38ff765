"""A normalised message split into words, and what counts as a word character.

Every matching layer works on the same words (`\\w+` runs), so a message is
split once and its word positions are worked out only when a match needs them.
"""

from __future__ import annotations

import re
import string
from itertools import accumulate, compress, count

_WORD = re.compile(r"\w+")
# ASCII text: every non-word character to a space, so `split` finds the words
_WORD_CHARS = string.ascii_letters + string.digits + "_"
_TO_SPACE = bytes(c if chr(c) in _WORD_CHARS else ord(" ") for c in range(256))


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


def is_word_char(ch: str) -> bool:
    r"""Whether `ch` is a `\w` character (cheaper than a regex for one character)."""
    return ch.isalnum() or ch == "_"


def tokens(text: str) -> list[re.Match[str]]:
    """The words of `text` with their positions."""
    return list(_WORD.finditer(text))
