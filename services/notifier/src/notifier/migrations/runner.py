"""Numbered .sql files applied in order, once, under an advisory lock so two
replicas starting together do not race."""

from __future__ import annotations

import re
from importlib import resources

import asyncpg  # no stubs published
import structlog

log = structlog.get_logger(__name__)

# Any constant shared by every replica; "notifier" in ASCII.
MIGRATION_LOCK = 0x6E6F746966696572
_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")
# Seconds for a migration, or for waiting on another replica's: well past the
# ledger's statement timeout, which is for the alert path (Ledger.connect).
TIMEOUT = 3600.0


def migration_files() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("notifier.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(connection: asyncpg.Connection) -> list[str]:
    """Apply what is missing; return the names applied."""
    applied: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK, timeout=TIMEOUT)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            r["version"] for r in await connection.fetch("SELECT version FROM schema_migrations")
        }
        for version, name, sql in migration_files():
            if version in done:
                continue
            async with connection.transaction():
                await connection.execute(sql, timeout=TIMEOUT)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
                )
            log.info("migration.applied", migration=name)
            applied.append(name)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied
