"""The delivery ledger in PostgreSQL: a thin adapter, no decisions.

A row per (submission, recipient, channel) is claimed before a send and
finished after it, so a redelivered message, or the same result on another
replica, never reaches the same person twice. A claim that was never
finished (crash mid-send) can be taken again once its lease has run out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg  # no stubs published

from notifier import ledger_sql as sql
from notifier.finishes import Finish, FinishWriter
from notifier.migrations.runner import migrate
from notifier.routing import Alert
from shared.codec import decode, encode
from shared.contracts import TriageResult

# The database is out of reach (refused, reset, shutting down, out of
# connections or disk, no answer in time), as opposed to refusing a statement.
_OUTAGE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, _OUTAGE)


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


class Ledger:
    def __init__(self, pool: Any, lease: timedelta) -> None:
        self._pool = pool
        self._lease = lease
        self._finishes = FinishWriter(pool)
        self.ready = False  # migrated: until then the ledger counts as down

    @classmethod
    async def connect(cls, url: str, lease: timedelta, timeout: float = 5.0) -> Ledger:
        """`timeout` bounds each connect and each statement: a database that stops
        answering (a host gone without a reset) counts as down, instead of holding
        every result, an emergency's too, for as long as TCP takes to give up."""
        # min_size 0: connecting waits for the first statement, so the service
        # starts (and sends emergencies) while the database is still down.
        pool = await asyncpg.create_pool(
            url,
            min_size=0,
            max_size=10,
            reset=_keep_session,
            timeout=timeout,
            command_timeout=timeout,
        )
        return cls(pool, lease)

    async def close(self) -> None:
        await self._finishes.drain()
        await self._pool.close()

    async def ping(self) -> bool:
        if not self.ready:
            return False
        try:
            return bool(await self._pool.fetchval("SELECT true"))
        except (*_OUTAGE, asyncpg.PostgresError):
            return False

    async def results(self, ids: list[UUID]) -> dict[UUID, TriageResult]:
        rows = await self._pool.fetch(sql.RESULTS, ids)
        return {r["submission_id"]: decode(TriageResult, r["body"].encode()) for r in rows}

    async def claim(self, result: TriageResult, alert: Alert) -> tuple[Claim, int | None]:
        async with self._pool.acquire() as conn:
            new_id = await conn.fetchval(
                sql.CLAIM,
                result.submission_id,
                result.urgency.value,
                self._lease,
                *_claim_args([alert]),
            )
            if new_id is not None:
                return Claim.TAKEN, new_id
            status = await conn.fetchval(
                sql.STATUS,
                result.submission_id,
                alert.recipient,
                alert.channel.value,
            )
        return (Claim.BUSY if status == "claimed" else Claim.DONE), None

    async def record_and_claim(
        self,
        result: TriageResult,
        claims: Sequence[Alert],
        parks: Sequence[tuple[Alert, str]] = (),
    ) -> list[tuple[Claim, int | None]]:
        """`record_result`, `park` for each of `parks` and `claim` for each of `claims`
        in one statement; one (Claim, id) per claim, in order. Each alert must have
        its own (recipient, channel)."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                sql.RECORD_AND_CLAIM,
                result.submission_id,
                result.urgency.value,
                self._lease,
                *_claim_args(claims),
                result.topic.value,
                encode(result).decode(),
                [a.recipient for a, _ in parks],
                [a.channel.value for a, _ in parks],
                [a.address for a, _ in parks],
                [a.purpose.value for a, _ in parks],
                [status for _, status in parks],
            )
            taken = {(r["recipient"], r["channel"]): int(r["id"]) for r in rows}
            statuses: dict[tuple[str, str], str] = {}
            if len(taken) < len(claims):  # a redelivery, or another replica's live claim
                statuses = {
                    (r["recipient"], r["channel"]): r["status"]
                    for r in await conn.fetch(sql.STATUSES, result.submission_id)
                }
        out: list[tuple[Claim, int | None]] = []
        for alert in claims:
            key = (alert.recipient, alert.channel.value)
            if key in taken:
                out.append((Claim.TAKEN, taken[key]))
            else:
                busy = statuses.get(key) == "claimed"
                out.append((Claim.BUSY if busy else Claim.DONE, None))
        return out

    async def park(self, result: TriageResult, alert: Alert, status: str) -> None:
        """Record an alert that waits: held (quiet hours), throttled, or digest."""
        await self._pool.execute(
            sql.PARK,
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
        """Record an outcome; `sent_at` (the service clock) counts toward throttles.
        Finishes that arrive together share one statement (notifier.finishes)."""
        await self._finishes.write(Finish(tuple(ids), status, provider_id, error, sent_at))

    async def sent_in_window(
        self, recipient: str, channel: str, since: datetime, cap: int | None = None
    ) -> int:
        """Messages (a bundle counts once) sent to one recipient on one channel;
        counted up to `cap` at most (None: all), enough to compare with a limit."""
        count = await self._pool.fetchval(sql.SENT_IN_WINDOW, recipient, channel, since, cap)
        return int(count or 0)

    async def sent_in_windows(
        self, keys: Sequence[tuple[str, str, datetime, int | None]]
    ) -> list[int]:
        """`sent_in_window` for several (recipient, channel, since, cap) in one round-trip."""
        if len(keys) == 1:
            return [await self.sent_in_window(*keys[0])]
        rows = await self._pool.fetch(
            sql.SENT_IN_WINDOWS,
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            [k[3] for k in keys],
        )
        return [int(r["sent"] or 0) for r in rows]

    async def waiting(self) -> list[Row]:
        rows = await self._pool.fetch(sql.WAITING, list(WAITING))
        return [Row(**dict(r)) for r in rows]

    async def take(self, ids: list[int], statuses: tuple[str, ...], as_status: str) -> list[Row]:
        """Claim waiting rows for a flush or digest; a crashed taker's lease runs out."""
        rows = await self._pool.fetch(sql.TAKE, ids, list(statuses), as_status, self._lease)
        return [Row(**dict(r)) for r in rows]

    async def digest_ids(self) -> list[int]:
        rows = await self._pool.fetch(sql.DIGEST_IDS)
        return [r["id"] for r in rows]

    async def by_provider_id(self, provider_id: str) -> list[Row]:
        rows = await self._pool.fetch(
            f"SELECT {sql.ROW} FROM deliveries WHERE provider_id = $1", provider_id
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
            released = False
            try:
                got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
                try:
                    yield got
                finally:
                    if got:
                        await conn.execute("SELECT pg_advisory_unlock($1)", key)
                    released = True
            finally:
                if not released:
                    conn.terminate()  # a lock we may hold goes with the session (_keep_session)

    async def migrate(self) -> list[str]:
        async with self._pool.acquire() as conn:
            try:
                applied = await migrate(conn)
            except BaseException:
                conn.terminate()  # it may still hold the migration lock (_keep_session)
                raise
        self.ready = True
        return applied


async def _keep_session(connection: Any) -> None:
    """The pool's release step instead of asyncpg's default reset query
    (advisory unlock all, CLOSE ALL, UNLISTEN *, RESET ALL), which costs a
    round-trip on every release, as many as the ledger's own statements. An open
    transaction is still rolled back by asyncpg before this runs. The ledger
    never SETs, LISTENs or declares cursors, and releases its session advisory
    locks itself: `exclusive` and `migrate` terminate a connection that might
    still hold one."""


def _claim_args(alerts: Sequence[Alert]) -> tuple[Any, ...]:
    """$4..$9 of a claim: the alerts as columns, then the statuses a claim may take over."""
    return (
        [a.recipient for a in alerts],
        [a.channel.value for a in alerts],
        [a.address for a in alerts],
        [a.purpose.value for a in alerts],
        [a.fallback.recipient if a.fallback else None for a in alerts],
        list(RETRYABLE),
    )
