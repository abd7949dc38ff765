"""The broker going away and coming back, simulated by cutting a TCP proxy."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aio_pika.abc import AbstractQueue
from aiohttp.test_utils import TestClient

from tests.integration.intake.intake_support import CONTACT, MakeClient, take
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def wait_ready_status(client: TestClient[Any, Any], status: int, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await client.get("/readyz")).status == status:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"/readyz never answered {status} within {within}s")


async def test_broker_outage_gives_503_then_recovers(
    make_client: MakeClient,
    proxy: TcpProxy,
    rabbitmq_url: str,
    triage_queue: AbstractQueue,
) -> None:
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url))
    assert (await client.post("/v1/forms/contact", json=CONTACT)).status == 202

    proxy.cut()
    await wait_ready_status(client, 503, within=10)
    down = await client.post("/v1/forms/contact", json=CONTACT)
    assert down.status == 503
    assert int(down.headers["Retry-After"]) >= 1
    assert (await down.json())["errors"][0]["field"] is None
    metrics = await (await client.get("/metrics")).text()
    assert "intake_publish_failures_total 1.0" in metrics

    proxy.restore()
    await wait_ready_status(client, 200, within=30)
    back = await client.post("/v1/forms/contact", json=CONTACT)
    assert back.status == 202
    await take(triage_queue, (await back.json())["id"])


async def test_a_failed_attempt_is_not_cached_for_its_idempotency_key(
    make_client: MakeClient,
    proxy: TcpProxy,
    rabbitmq_url: str,
    triage_queue: AbstractQueue,
) -> None:
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url))
    headers = {"Idempotency-Key": "retry-after-outage"}
    proxy.cut()
    await wait_ready_status(client, 503, within=10)
    assert (await client.post("/v1/forms/contact", json=CONTACT, headers=headers)).status == 503

    proxy.restore()
    await wait_ready_status(client, 200, within=30)
    retry = await client.post("/v1/forms/contact", json=CONTACT, headers=headers)
    assert retry.status == 202
    _, submission = await take(triage_queue, (await retry.json())["id"])
    assert submission.idempotency_key == "retry-after-outage"


async def test_the_service_starts_while_the_broker_is_down(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str
) -> None:
    proxy.cut()
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), wait_ready=False)
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 503
    assert (await client.post("/v1/forms/contact", json=CONTACT)).status == 503
    proxy.restore()
    await wait_ready_status(client, 200, within=30)
    assert (await client.post("/v1/forms/contact", json=CONTACT)).status == 202
