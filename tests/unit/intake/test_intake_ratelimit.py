"""The per-client token bucket, on an injected clock."""

from __future__ import annotations

from intake.ratelimit import ClientLimits, RateLimiter, retry_after_header


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == 0.0
    wait = limiter.acquire("a")
    assert wait == 10.0
    clock.now += 10.0
    assert limiter.acquire("a") == 0.0


def test_clients_have_separate_buckets() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=FakeClock())
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0.0


def test_tokens_never_exceed_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    clock.now += 3600
    assert [limiter.acquire("a") == 0.0 for _ in range(3)] == [True, True, False]


def test_memory_is_bounded_by_forgetting_the_oldest_client() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, max_clients=2, clock=FakeClock())
    limiter.acquire("a")
    limiter.acquire("b")
    limiter.acquire("c")
    assert limiter.acquire("a") == 0.0  # forgotten, so a fresh bucket


def test_retry_after_is_a_whole_number_of_seconds_at_least_one() -> None:
    assert retry_after_header(0.2) == "1"
    assert retry_after_header(10.01) == "11"


def test_posts_that_mention_danger_have_a_bucket_of_their_own() -> None:
    clock = FakeClock()
    limits = ClientLimits(per_minute=60, burst=1, clock=clock)
    assert limits.acquire("nat") == 0.0
    assert limits.acquire("nat") > 0  # the flood spent the shared address's budget
    assert limits.acquire_danger("nat") == 0.0
    assert limits.acquire_danger("nat") > 0  # and the second one is limited too
