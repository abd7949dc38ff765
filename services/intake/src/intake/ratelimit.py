"""A token bucket per client, in process memory.

Per process: replicas each keep their own buckets, so the effective limit
across N replicas is up to N times the setting. Good enough to blunt a
script hammering the forms; a shared limit belongs in the proxy in front.

A client is an address, and many people can share one (a carrier's NAT, a
care home), so a flood from one of them must not turn away a person in crisis
behind the same address: posts the danger pre-screen flags have a second
bucket of their own (`ClientLimits`), as large as the first and as limited.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_clients: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, client: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is free."""
        now = self._clock()
        bucket = self._buckets.pop(client, None) or _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[client] = bucket
        # Forgetting the least recently seen client only hands it a full
        # bucket again, which bounds memory at a small cost in strictness.
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate


class ClientLimits:
    def __init__(self, per_minute: float, burst: int, *, clock: Clock = time.monotonic) -> None:
        self._posts = RateLimiter(per_minute, burst, clock=clock)
        self._danger = RateLimiter(per_minute, burst, clock=clock)

    def acquire(self, client: str) -> float:
        """Take a token for any post: 0.0 when allowed, else seconds to wait."""
        return self._posts.acquire(client)

    def acquire_danger(self, client: str) -> float:
        """Take a token from the second bucket, for a post that mentions danger
        once the first is empty."""
        return self._danger.acquire(client)


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
