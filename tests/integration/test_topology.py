"""The shared topology, declared against the real broker."""

from __future__ import annotations

import asyncio
import time

import aio_pika
import pytest

from shared.broker import DEAD_LETTER_REASON, Broker, BrokerUnavailable, dead_letter
from shared.topology import (
    RESULTS_EXCHANGE,
    SUBMISSIONS_EXCHANGE,
    TRIAGE_QUEUE,
    declare_topology,
)
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


async def test_declaring_twice_is_harmless(rabbitmq_url: str) -> None:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        await declare_topology(channel)
        await declare_topology(channel)
        queue = await channel.declare_queue(TRIAGE_QUEUE, passive=True)
        assert queue.name == TRIAGE_QUEUE


async def test_confirmed_publish_lands_persistent_in_the_triage_queue(rabbitmq_url: str) -> None:
    broker = Broker(rabbitmq_url, client_name="test")
    broker.start()
    assert await broker.wait_ready(10)
    try:
        await broker.publish(SUBMISSIONS_EXCHANGE, "submission.contact", b"{}", message_id="m-1")
        channel = await broker.consuming_channel(prefetch=1)
        queue = await channel.get_queue(TRIAGE_QUEUE)
        message = await queue.get(timeout=5)
        assert message.message_id == "m-1"
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        await dead_letter(broker, message, TRIAGE_QUEUE, "bad JSON")
        dead = await channel.get_queue(f"{TRIAGE_QUEUE}.dead")
        corpse = await dead.get(timeout=5)
        assert corpse.headers[DEAD_LETTER_REASON] == "bad JSON"
        await corpse.ack()
    finally:
        await broker.close()


async def test_an_unroutable_publish_is_not_confirmed(rabbitmq_url: str) -> None:
    broker = Broker(rabbitmq_url, client_name="test")
    broker.start()
    assert await broker.wait_ready(10)
    try:
        with pytest.raises(BrokerUnavailable):
            await broker.publish(RESULTS_EXCHANGE, "nowhere.at.all", b"{}", message_id="m-2")
    finally:
        await broker.close()


async def test_publishing_without_a_broker_fails_fast() -> None:
    broker = Broker("amqp://guest:guest@127.0.0.1:1/", confirm_timeout=0.5)
    broker.start()
    assert not await broker.wait_ready(0.5)
    with pytest.raises(BrokerUnavailable):
        await broker.publish(SUBMISSIONS_EXCHANGE, "submission.contact", b"{}", message_id="m")
    await broker.close()


async def test_a_broker_that_stops_answering_fails_the_publish_within_the_confirm_timeout(
    rabbitmq_url: str,
) -> None:
    # A host gone without a reset: no error, no confirm, only silence.
    line = TcpProxy.to(rabbitmq_url)
    await line.start()
    broker = Broker(line.url(rabbitmq_url), confirm_timeout=0.5, client_name="test")
    broker.start()
    try:
        assert await broker.wait_ready(10)
        line.stall()
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable, match="TimeoutError"):
            await broker.publish(SUBMISSIONS_EXCHANGE, "submission.contact", b"{}", message_id="m")
        assert 0.4 < time.monotonic() - started < 2.0
    finally:
        line.restore()
        await asyncio.wait_for(broker.close(), 10)
        await line.close()
