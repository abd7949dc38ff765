"""Fixtures for the intake, served over real HTTP against the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue
from aiohttp.test_utils import TestClient, TestServer

from intake.app import create_app
from intake.settings import IntakeSettings
from shared.broker import Broker
from shared.topology import TRIAGE_QUEUE
from tests.integration.intake.intake_support import MakeClient
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
async def make_client(rabbitmq_url: str) -> AsyncIterator[MakeClient]:
    """Builds an intake app with settings overrides; each is closed afterwards.
    As in production, posts that mention danger have a connection of their own
    (`danger_url`: where it connects, by default the broker itself; with
    `wait_danger=False` the app is handed over before that one is up)."""
    clients: list[TestClient[Any, Any]] = []

    async def make(
        *,
        wait_ready: bool = True,
        danger_url: str | None = None,
        wait_danger: bool = True,
        **overrides: Any,
    ) -> TestClient[Any, Any]:
        values: dict[str, Any] = {
            "rabbitmq_url": rabbitmq_url,
            "broker_confirm_timeout": 3.0,
            "intake_rate_limit_per_minute": 6000.0,
            "intake_rate_limit_burst": 1000,
            "intake_cors_origins": ("https://www.example.org",),
            "intake_thank_you_url": "https://www.example.org/thank-you",
            # No spool unless a test asks for one, so a broker outage answers 503.
            "intake_spool_dir": "",
            **overrides,
        }
        settings = IntakeSettings(**values)
        timeout = settings.broker_confirm_timeout
        broker = Broker(settings.rabbitmq_url, confirm_timeout=timeout)
        danger = Broker(danger_url or settings.rabbitmq_url, confirm_timeout=timeout)
        client: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, broker, danger), host="127.0.0.1")
        )
        await client.start_server()
        clients.append(client)
        if wait_ready:
            assert await broker.wait_ready(15), "broker not ready"
            if wait_danger:
                assert await danger.wait_ready(15), "danger lane not ready"
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient[Any, Any]:
    return await make_client()


@pytest.fixture
async def triage_queue(
    rabbitmq_url: str, client: TestClient[Any, Any]
) -> AsyncIterator[AbstractQueue]:
    """The triage queue (declared by the app's broker), emptied for this test."""
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(TRIAGE_QUEUE, passive=True)
        await queue.purge()
        yield queue


@pytest.fixture
async def proxy(rabbitmq_url: str) -> AsyncIterator[TcpProxy]:
    tcp = TcpProxy("127.0.0.1", urlsplit(rabbitmq_url).port or 5672)
    await tcp.start()
    yield tcp
    await tcp.close()
