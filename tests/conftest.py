"""Fixtures shared by every suite: each test run gets its own RabbitMQ vhost
and its own PostgreSQL database, so runs never see each other."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.services import create_database, create_vhost, delete_vhost, drop_database


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    name, url = create_vhost()
    yield url
    delete_vhost(name)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    name, url = await create_database()
    yield url
    await drop_database(name)


@pytest.fixture
def isolated_rabbitmq_url() -> Iterator[str]:
    """A vhost of the test's own, for tests that rewire the topology."""
    name, url = create_vhost()
    yield url
    delete_vhost(name)
