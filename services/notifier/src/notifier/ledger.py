"""The delivery ledger in PostgreSQL: a thin adapter, no decisions.

A row per (submission, recipient, channel) is claimed before a send and
finished after it, so a redelivered message, or the same result on another
replica, never reaches the same person twice. A claim that was never
finished (crash mid-send) can be taken again once its lease has run out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg  # no stubs published

from notifier.migrations.runner import migrate
from notifier.routing import Alert
from shared.codec import decode, encode
from shared.contracts import TriageResult

# Statuses a new claim may take over: a failed send, or a claim whose lease ran out.
RETRYABLE = ("error",)
WAITING = ("held", "throttled")


class Claim(StrEnum):
    TAKEN = "taken"  # ours to send now
    DONE = "done"  # sent, parked or finished before: nothing to do
    BUSY = "busy"  # another worker holds a live lease: try again later


@dataclass(frozen=True)
class Row:
    id: int
    submission_id: UUID
    recipient: str
    channel: str
    address: str
    urgency: str
    status: str
    fallback: str | None


_CLAIM = """
INSERT INTO deliveries AS d
    (submission_id, recipient, channel, address, urgency, purpose, status, fallback,
     attempts, lease_until)
VALUES ($1, $2, $3, $4, $5, $6, 'claimed', $7, 1, now() + $8::interval)
ON CONFLICT (submission_id, recipient, channel) DO UPDATE
    SET status = 'claimed', attempts = d.attempts + 1, lease_until = EXCLUDED.lease_until,
        address = EXCLUDED.address, updated_at = now()
    WHERE d.status = ANY($9::text[]) OR (d.status = 'claimed' AND d.lease_until < now())
RETURNING id
"""

_PARK = """
INSERT INTO deliveries
    (submission_id, recipient, channel, address, urgency, purpose, status, fallback)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (submission_id, recipient, channel) DO NOTHING
"""

_ROW = "id, submission_id, recipient, channel, address, urgency, status, fallback"


class Ledger:
    def __init__(self, pool: Any, lease: timedelta) -> None:
        self._pool = pool
        self._lease = lease

    @classmethod
    async def connect(cls, url: str, lease: timedelta) -> Ledger:
        return cls(await asyncpg.create_pool(url, min_size=1, max_size=10), lease)

    async def close(self) -> None:
        await self._pool.close()

    async def ping(self) -> bool:
        try:
            return bool(await self._pool.fetchval("SELECT true"))
        except (OSError, asyncpg.PostgresError):
            return False

    async def record_result(self, result: TriageResult) -> None:
        await self._pool.execute(
            "INSERT INTO results (submission_id, urgency, topic, body) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (submission_id) DO NOTHING",
            result.submission_id,
            result.urgency.value,
            result.topic.value,
            encode(result).decode(),
        )

    async def results(self, ids: list[UUID]) -> dict[UUID, TriageResult]:
        rows = await self._pool.fetch(
            "SELECT submission_id, body::text AS body FROM results WHERE submission_id = ANY($1)",
            ids,
        )
        return {r["submission_id"]: decode(TriageResult, r["body"].encode()) for r in rows}

    async def claim(self, result: TriageResult, alert: Alert) -> tuple[Claim, int | None]:
        fallback = alert.fallback.recipient if alert.fallback else None
        async with self._pool.acquire() as conn:
            new_id = await conn.fetchval(
                _CLAIM,
                result.submission_id,
                alert.recipient,
                alert.channel.value,
                alert.address,
                result.urgency.value,
                alert.purpose.value,
                fallback,
                self._lease,
                list(RETRYABLE),
            )
            if new_id is not None:
                await _event(conn, new_id, "claimed", None, None)
                return Claim.TAKEN, new_id
            status = await conn.fetchval(
                "SELECT status FROM deliveries"
                " WHERE submission_id = $1 AND recipient = $2 AND channel = $3",
                result.submission_id,
                alert.recipient,
                alert.channel.value,
            )
        return (Claim.BUSY if status == "claimed" else Claim.DONE), None

    async def park(self, result: TriageResult, alert: Alert, status: str) -> None:
        """Record an alert that waits: held (quiet hours), throttled, or digest."""
        await self._pool.execute(
            _PARK,
            result.submission_id,
            alert.recipient,
            alert.channel.value,
            alert.address,
            result.urgency.value,
            alert.purpose.value,
            status,
            None,
        )

    async def finish(
        self,
        ids: list[int],
        status: str,
        *,
        provider_id: str | None = None,
        error: str | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        """Record an outcome; `sent_at` (the service clock) counts toward throttles."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE deliveries SET status = $2, provider_id = COALESCE($3, provider_id),"
                " error = $4, lease_until = NULL, updated_at = now(),"
                " sent_at = COALESCE($5, sent_at) WHERE id = ANY($1)",
                ids,
                status,
                provider_id,
                error,
                sent_at,
            )
            for delivery_id in ids:
                await _event(conn, delivery_id, status, provider_id, error)

    async def sent_in_window(self, recipient: str, channel: str, since: datetime) -> int:
        """Messages (a bundle counts once) sent to one recipient on one channel."""
        count = await self._pool.fetchval(
            "SELECT count(DISTINCT provider_id) FROM deliveries"
            " WHERE recipient = $1 AND channel = $2 AND sent_at >= $3",
            recipient,
            channel,
            since,
        )
        return int(count or 0)

    async def waiting(self) -> list[Row]:
        rows = await self._pool.fetch(
            f"SELECT {_ROW} FROM deliveries WHERE status = ANY($1::text[])"
            " OR (status = 'flushing' AND lease_until < now()) ORDER BY id",
            list(WAITING),
        )
        return [Row(**dict(r)) for r in rows]

    async def take(self, ids: list[int], statuses: tuple[str, ...], as_status: str) -> list[Row]:
        """Claim waiting rows for a flush or digest; a crashed taker's lease runs out."""
        rows = await self._pool.fetch(
            f"UPDATE deliveries SET status = $3, lease_until = now() + $4::interval,"
            f" updated_at = now() WHERE id = ANY($1) AND (status = ANY($2::text[])"
            f" OR (status = $3 AND lease_until < now())) RETURNING {_ROW}",
            ids,
            list(statuses),
            as_status,
            self._lease,
        )
        return [Row(**dict(r)) for r in rows]

    async def digest_ids(self) -> list[int]:
        rows = await self._pool.fetch(
            "SELECT id FROM deliveries WHERE status = 'digest'"
            " OR (status = 'digesting' AND lease_until < now()) ORDER BY id"
        )
        return [r["id"] for r in rows]

    async def by_provider_id(self, provider_id: str) -> list[Row]:
        rows = await self._pool.fetch(
            f"SELECT {_ROW} FROM deliveries WHERE provider_id = $1", provider_id
        )
        return [Row(**dict(r)) for r in rows]

    async def digest_sent(self, day: Any) -> bool:
        return bool(await self._pool.fetchval("SELECT true FROM digest_runs WHERE day = $1", day))

    async def mark_digest(self, day: Any, items: int) -> None:
        await self._pool.execute(
            "INSERT INTO digest_runs (day, items) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
            day,
            items,
        )

    @asynccontextmanager
    async def exclusive(self, key: int) -> AsyncIterator[bool]:
        """Hold a session advisory lock while the block runs; yields False if taken."""
        async with self._pool.acquire() as conn:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
            try:
                yield got
            finally:
                if got:
                    await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def migrate(self) -> list[str]:
        async with self._pool.acquire() as conn:
            return await migrate(conn)


async def _event(
    conn: Any, delivery_id: int, status: str, pid: str | None, err: str | None
) -> None:
    await conn.execute(
        "INSERT INTO delivery_events (delivery_id, status, provider_id, error)"
        " VALUES ($1, $2, $3, $4)",
        delivery_id,
        status,
        pid,
        err,
    )
