"""Replaying the first answer to a POST retried with the same Idempotency-Key.

The cache lives in one process's memory: replicas behind a load balancer do
not share it and a restart forgets it. A keyed post's submission id is
therefore derived from the form, the key and the fields (`submission_id_for`):
a retry that lands on another replica publishes again, but under the same id,
and the notifier's ledger (keyed by submission) alerts once. The cache spares
the broker and triage the common duplicates (a double click, a client
retrying a slow answer).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID, uuid5

T = TypeVar("T")
Clock = Callable[[], float]

MAX_KEY_LENGTH = 200
# The key of a plain HTML form post (no script to set the header): a hidden
# field, new on every page view, so a double click is one submission.
FORM_FIELD = "idempotency_key"
# Any fixed value: it only keeps these ids apart from other name-based UUIDs.
_NAMESPACE = UUID("8d2f6c1e-5b0a-4f3e-9c47-2a61d0e3b9f5")


def submission_id_for(form: str, key: str, fields: Mapping[str, object]) -> UUID:
    """The id of a post with an Idempotency-Key: the same for a retry of the same
    submission (form, key and fields alike, in any encoding), on any replica and
    after a restart; another for other fields under a reused key, which is
    another submission and must not be answered with the first one's reply."""
    canonical = json.dumps([form, key, fields], sort_keys=True, ensure_ascii=False, default=str)
    return uuid5(_NAMESPACE, canonical)


@dataclass
class _Entry(Generic[T]):
    outcome: asyncio.Future[T]
    expires_at: float | None = None  # set once the outcome is known


class IdempotencyCache(Generic[T]):
    """TTL cache of successful outcomes, bounded by LRU eviction."""

    def __init__(self, ttl: float, max_keys: int, *, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl
        self._max_keys = max_keys
        self._clock = clock
        self._entries: OrderedDict[str, _Entry[T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def run(self, key: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """The cached outcome for `key`, else the outcome of `attempt()`.

        A concurrent duplicate waits for the first attempt and shares its
        outcome, success or failure. A failure is not kept, so the next
        retry runs again.
        """
        entry = self._live(key)
        if entry is not None:
            return await asyncio.shield(entry.outcome)
        entry = _Entry(asyncio.get_running_loop().create_future())
        self._entries[key] = entry
        self._evict()
        try:
            result = await attempt()
        except BaseException as exc:
            self._forget(key, entry)
            _fail(entry.outcome, exc)
            raise
        entry.outcome.set_result(result)
        entry.expires_at = self._clock() + self._ttl
        return result

    def _live(self, key: str) -> _Entry[T] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at is not None and entry.expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def _evict(self) -> None:
        while len(self._entries) > self._max_keys:
            self._entries.popitem(last=False)

    def _forget(self, key: str, entry: _Entry[T]) -> None:
        if self._entries.get(key) is entry:
            del self._entries[key]


def _fail(outcome: asyncio.Future[T], exc: BaseException) -> None:
    if isinstance(exc, Exception):
        outcome.set_exception(exc)
        # The first attempt re-raises the error itself; waiters are optional,
        # so mark it retrieved to keep asyncio from warning about it.
        outcome.exception()
    else:
        outcome.cancel()
