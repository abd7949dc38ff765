"""Fixtures shared by every suite: each test run gets its own RabbitMQ vhost
and its own PostgreSQL database, so runs never see each other."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.services import create_database, create_vhost, delete_vhost, drop_database
from tests.support.smtp import SmtpServer
from tests.support.tcp_proxy import TcpProxy


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


@pytest.fixture(scope="module")
def module_rabbitmq_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A vhost for one module's service processes, which outlive a single test."""
    name, url = create_vhost(request.module.__name__.rsplit(".", 1)[-1])
    yield url
    delete_vhost(name)


@pytest.fixture(scope="module")
async def module_database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    name, url = await create_database(request.module.__name__.rsplit(".", 1)[-1])
    yield url
    await drop_database(name)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a loopback port of its own."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
async def database_line(database_url: str) -> AsyncIterator[TcpProxy]:
    """A TCP proxy to the test's database: a service reaches PostgreSQL through
    `database_line.url(database_url)`, and cut() or stall() takes it away."""
    proxy = TcpProxy.to(database_url)
    await proxy.start()
    yield proxy
    await proxy.close()
