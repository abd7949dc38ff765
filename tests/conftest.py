"""Fixtures shared by every suite: each test run gets its own RabbitMQ vhost
and its own PostgreSQL database, so runs never see each other."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import asyncpg
import pytest
from shared.settings import DEFAULT_RABBITMQ_URL

BROKER_ROOT = os.environ.get("TEST_RABBITMQ_URL", DEFAULT_RABBITMQ_URL).rstrip("/")
POSTGRES_ADMIN = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def vhost() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield name
    _rabbitmqctl("delete_vhost", name)


@pytest.fixture(scope="session")
def rabbitmq_url(vhost: str) -> str:
    return f"{BROKER_ROOT}/{quote(vhost, safe='')}"


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def isolated_rabbitmq_url() -> Iterator[str]:
    """A vhost of the test's own, for tests that rewire the topology."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield f"{BROKER_ROOT}/{quote(name, safe='')}"
    _rabbitmqctl("delete_vhost", name)
