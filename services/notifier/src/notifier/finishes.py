"""Delivery outcomes written to the ledger in groups (group commit).

Every send ends with a finish: the row's outcome and an audit event. Under
load many sends end at once, and one statement carrying all their outcomes
costs PostgreSQL a fraction of one statement each (bench/RESULTS.md). A caller
still waits for the statement that carries its outcome, so it acks its
message only once the outcome is recorded, exactly as before.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg  # no stubs published

from notifier import ledger_sql as sql

# Rows per statement: a bound on one statement's size, far above what one
# notifier has in flight (its prefetch).
MAX_ROWS = 500
# What one row's values can cause, as opposed to the database being away.
_ROW_ERRORS = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


@dataclass(frozen=True)
class Finish:
    ids: tuple[int, ...]
    status: str
    provider_id: str | None = None
    error: str | None = None
    sent_at: datetime | None = None


class FinishWriter:
    """At most one finish statement in flight; the finishes that arrive while
    it runs go together in the next one."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._waiting: list[tuple[Finish, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, finish: Finish) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((finish, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        await future

    async def drain(self) -> None:
        """Wait until every finish handed in so far is written (or has failed)."""
        if self._writer is not None:
            await asyncio.wait([self._writer])

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch = self._next_batch()
                await self._write(batch)
        finally:
            # Only a cancelled writer (the loop shutting down) leaves finishes behind.
            for _, future in self._waiting:
                future.cancel()
            self._waiting.clear()
            self._writer = None

    def _next_batch(self) -> list[tuple[Finish, asyncio.Future[None]]]:
        """The oldest finishes, up to MAX_ROWS rows, stopping before one that names
        a row already in the batch: one UPDATE may change a row only once."""
        seen: set[int] = set()
        taken = 0
        for finish, _ in self._waiting:
            if seen.intersection(finish.ids) or (taken and len(seen) + len(finish.ids) > MAX_ROWS):
                break
            seen.update(finish.ids)
            taken += 1
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    async def _write(self, batch: list[tuple[Finish, asyncio.Future[None]]]) -> None:
        try:
            error = await self._execute([finish for finish, _ in batch])
            if isinstance(error, _ROW_ERRORS) and len(batch) > 1:
                # One bad row must not fail the others' outcomes (a failed finish
                # may mean an alert sent again later): each goes again on its own.
                # A lost database fails them all at once instead.
                for item in batch:
                    await self._write([item])
                return
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        for _, future in batch:
            _settle(future, error)

    async def _execute(self, finishes: list[Finish]) -> Exception | None:
        rows = [(i, f) for f in finishes for i in f.ids]
        try:
            await self._pool.execute(
                sql.FINISH,
                [i for i, _ in rows],
                [f.status for _, f in rows],
                [_text(f.provider_id) for _, f in rows],
                [_text(f.error) for _, f in rows],
                [f.sent_at for _, f in rows],
            )
        except Exception as exc:
            return exc
        return None


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():  # its caller gave up waiting
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _text(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL, and a provider's error message might.
    return value.replace("\x00", "") if value else value
