"""The idempotency cache: replay, concurrency, failures, TTL and LRU."""

from __future__ import annotations

import asyncio

import pytest

from intake.idempotency import IdempotencyCache, submission_id_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0.01)
        return self.calls


async def test_a_retry_replays_the_first_outcome() -> None:
    cache: IdempotencyCache[int] = IdempotencyCache(ttl=60, max_keys=10)
    attempt = Counter()
    assert await cache.run("k", attempt) == 1
    assert await cache.run("k", attempt) == 1
    assert attempt.calls == 1


async def test_concurrent_duplicates_wait_for_the_first() -> None:
    cache: IdempotencyCache[int] = IdempotencyCache(ttl=60, max_keys=10)
    attempt = Counter()
    results = await asyncio.gather(*(cache.run("k", attempt) for _ in range(5)))
    assert results == [1] * 5
    assert attempt.calls == 1


async def test_a_failure_is_shared_with_waiters_but_not_kept() -> None:
    cache: IdempotencyCache[int] = IdempotencyCache(ttl=60, max_keys=10)

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("broker down")

    outcomes = await asyncio.gather(
        cache.run("k", fail), cache.run("k", fail), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert len(cache) == 0
    assert await cache.run("k", Counter()) == 1


async def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache: IdempotencyCache[int] = IdempotencyCache(ttl=60, max_keys=10, clock=clock)
    attempt = Counter()
    await cache.run("k", attempt)
    clock.now += 59
    assert await cache.run("k", attempt) == 1
    clock.now += 2
    assert await cache.run("k", attempt) == 2


async def test_the_least_recently_used_key_is_evicted() -> None:
    cache: IdempotencyCache[int] = IdempotencyCache(ttl=60, max_keys=2)
    a, b, c = Counter(), Counter(), Counter()
    await cache.run("a", a)
    await cache.run("b", b)
    await cache.run("a", a)  # touch a, so b is the oldest
    await cache.run("c", c)
    assert len(cache) == 2
    await cache.run("a", a)
    await cache.run("b", b)
    assert (a.calls, b.calls) == (1, 2)


async def test_cancelling_the_first_attempt_frees_the_key() -> None:
    cache: IdempotencyCache[int] = IdempotencyCache(ttl=60, max_keys=10)

    async def slow() -> int:
        await asyncio.sleep(10)
        return 0

    task = asyncio.create_task(cache.run("k", slow))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await cache.run("k", Counter()) == 1


def test_a_keyed_submission_has_one_id_whatever_the_replica_and_field_order() -> None:
    fields = {"name": "Ana", "email": "ana@example.org", "message": "Help with a chair"}
    same = dict(reversed(list(fields.items())))
    assert submission_id_for("contact", "k1", fields) == submission_id_for("contact", "k1", same)


def test_another_key_form_or_field_value_makes_another_submission() -> None:
    fields = {"name": "Ana", "message": "Help with a chair"}
    first = submission_id_for("contact", "k1", fields)
    assert submission_id_for("contact", "k2", fields) != first
    assert submission_id_for("profile", "k1", fields) != first
    assert submission_id_for("contact", "k1", {**fields, "message": "Help, a bed"}) != first
