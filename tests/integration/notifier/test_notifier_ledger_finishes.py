"""The ledger writes finishes that arrive together in one statement (group
commit), against the real PostgreSQL: each row still gets its own outcome and
audit event, and each caller learns whether its own outcome was recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from notifier.finishes import MAX_ROWS
from notifier.ledger import Ledger
from notifier.routing import Alert, Channel
from tests.integration.notifier.harness import make_result


class CountingPool:
    """The real pool, counting the statements run through `execute`."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.executed = 0

    async def execute(self, *args: Any) -> Any:
        self.executed += 1
        return await self.pool.execute(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)


@pytest.fixture
async def ledger(database_url: str) -> AsyncIterator[tuple[Ledger, CountingPool]]:
    pool = CountingPool(await asyncpg.create_pool(database_url, min_size=1, max_size=4))
    ledger = Ledger(pool, timedelta(minutes=5))
    await ledger.migrate()
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE results, deliveries, delivery_events")
    yield ledger, pool
    await ledger.close()


async def claimed_rows(ledger: Ledger, count: int) -> list[int]:
    alert = Alert("team:support", Channel.EMAIL, "support@example.org")
    ids = []
    for _ in range(count):
        [(_, row_id)] = await ledger.record_and_claim(make_result(), [alert])
        assert row_id is not None
        ids.append(row_id)
    return ids


async def test_finishes_that_arrive_together_share_one_statement(
    ledger: tuple[Ledger, CountingPool],
) -> None:
    led, pool = ledger
    ids = await claimed_rows(led, 20)
    sent_at = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
    before = pool.executed

    await asyncio.gather(
        *(
            led.finish([i], "sent", provider_id=f"<m{i}@x>", sent_at=sent_at)
            if n % 2 == 0
            else led.finish([i], "error", error=f"refused {i}")
            for n, i in enumerate(ids)
        )
    )

    assert pool.executed - before == 1
    rows = {r["id"]: r for r in await pool.fetch("SELECT * FROM deliveries")}
    for n, i in enumerate(ids):
        if n % 2 == 0:
            assert (rows[i]["status"], rows[i]["provider_id"]) == ("sent", f"<m{i}@x>")
            assert rows[i]["sent_at"] == sent_at and rows[i]["error"] is None
        else:
            assert (rows[i]["status"], rows[i]["error"]) == ("error", f"refused {i}")
            assert rows[i]["provider_id"] is None and rows[i]["sent_at"] is None
        assert rows[i]["lease_until"] is None
    events = await pool.fetch(
        "SELECT delivery_id, status FROM delivery_events WHERE status <> 'claimed' ORDER BY id"
    )
    assert [e["delivery_id"] for e in events] == ids


async def test_two_outcomes_for_one_row_are_written_in_order(
    ledger: tuple[Ledger, CountingPool],
) -> None:
    led, pool = ledger
    [row] = await claimed_rows(led, 1)
    before = pool.executed

    await asyncio.gather(
        led.finish([row], "error", error="busy"),
        led.finish([row], "failed", error="gave up"),
    )

    assert pool.executed - before == 2  # one UPDATE may change a row only once
    assert await pool.fetchval("SELECT status FROM deliveries WHERE id = $1", row) == "failed"
    events = await pool.fetch(
        "SELECT status FROM delivery_events WHERE delivery_id = $1 ORDER BY id", row
    )
    assert [e["status"] for e in events] == ["claimed", "error", "failed"]


async def test_a_statement_carries_at_most_max_rows(ledger: tuple[Ledger, CountingPool]) -> None:
    led, pool = ledger
    ids = await claimed_rows(led, MAX_ROWS + 20)
    before = pool.executed

    await asyncio.gather(*(led.finish([i], "sent") for i in ids))

    assert pool.executed - before == 2
    sent = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent'")
    assert sent == MAX_ROWS + 20


async def test_closing_the_ledger_writes_the_finishes_in_hand_first(
    ledger: tuple[Ledger, CountingPool], database_url: str
) -> None:
    led, _ = ledger
    ids = await claimed_rows(led, 3)

    pending = [asyncio.ensure_future(led.finish([i], "sent")) for i in ids]
    await asyncio.sleep(0)  # handed in, not yet written
    await led.close()

    assert all(task.done() and task.exception() is None for task in pending)
    db = await asyncpg.connect(database_url)
    try:
        statuses = await db.fetch("SELECT status FROM deliveries WHERE id = ANY($1)", ids)
    finally:
        await db.close()
    assert [r["status"] for r in statuses] == ["sent"] * 3


async def test_a_bad_row_fails_only_its_own_finish(ledger: tuple[Ledger, CountingPool]) -> None:
    led, pool = ledger
    ids = await claimed_rows(led, 3)
    missing = max(ids) + 1000  # its audit event breaks the foreign key

    outcomes = await asyncio.gather(
        led.finish([ids[0]], "sent"),
        led.finish([missing], "sent"),
        led.finish([ids[1]], "error", error="refused"),
        return_exceptions=True,
    )
    await led.finish([ids[2]], "sent")

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], asyncpg.ForeignKeyViolationError)
    statuses = dict(await pool.fetch("SELECT id, status FROM deliveries"))
    assert statuses == {ids[0]: "sent", ids[1]: "error", ids[2]: "sent"}


async def test_a_lost_database_fails_every_finish_at_once(
    ledger: tuple[Ledger, CountingPool], monkeypatch: pytest.MonkeyPatch
) -> None:
    led, pool = ledger
    ids = await claimed_rows(led, 3)

    async def unreachable(*_: Any) -> None:
        pool.executed += 1
        raise ConnectionRefusedError("database away")

    monkeypatch.setattr(pool, "execute", unreachable)
    before = pool.executed
    outcomes = await asyncio.gather(*(led.finish([i], "sent") for i in ids), return_exceptions=True)

    assert all(isinstance(o, ConnectionRefusedError) for o in outcomes)
    assert pool.executed - before == 1  # not once more per finish


async def test_a_nul_in_a_providers_error_is_dropped(ledger: tuple[Ledger, CountingPool]) -> None:
    led, pool = ledger
    [row] = await claimed_rows(led, 1)

    await led.finish([row], "error", error="550 no\x00such user", provider_id="<a\x00b>")

    stored = await pool.fetchrow("SELECT error, provider_id FROM deliveries WHERE id = $1", row)
    assert (stored["error"], stored["provider_id"]) == ("550 nosuch user", "<ab>")
