"""Migrating the ledger at start: an outage is waited out, a failing migration
stops the start."""

from __future__ import annotations

import asyncio

import pytest

from notifier.bootstrap import migrate_ledger


class FakeLedger:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.ready = False

    async def migrate(self) -> list[str]:
        if self.failures:
            raise self.failures.pop(0)
        self.ready = True
        return []


async def test_a_reachable_database_is_migrated_before_the_service_takes_work() -> None:
    ledger = FakeLedger()
    assert await migrate_ledger(ledger) is None  # type: ignore[arg-type]
    assert ledger.ready


async def test_an_unreachable_database_is_migrated_in_the_background_once_it_answers() -> None:
    ledger = FakeLedger(ConnectionRefusedError(), OSError("still down"))
    task = await migrate_ledger(ledger)  # type: ignore[arg-type]
    assert task is not None and not ledger.ready
    async with asyncio.timeout(5):
        await task  # 0.5 s, then 1 s of back-off
    assert ledger.ready


async def test_a_migration_that_fails_on_a_reachable_database_stops_the_start() -> None:
    ledger = FakeLedger(ValueError("syntax error in 003"))
    with pytest.raises(ValueError, match="003"):
        await migrate_ledger(ledger)  # type: ignore[arg-type]
