"""A per-word memo: a word's value is worked out on first sight and kept.

The matching layers look up every word of every message; most words repeat,
so each layer keeps what it worked out. The memo starts over when full, so a
stream of one-off words (typos, numbers) cannot grow it without bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

V = TypeVar("V")

LIMIT = 50_000  # distinct words remembered before a memo starts over


class WordMemo(dict[str, V]):
    """word -> value; a hit costs a dict lookup, a miss calls `work_out` once."""

    __slots__ = ("_work_out",)

    def __init__(self, work_out: Callable[[str], V]) -> None:
        super().__init__()
        self._work_out = work_out

    def __missing__(self, word: str) -> V:
        if len(self) >= LIMIT:
            self.clear()
        value = self[word] = self._work_out(word)
        return value
