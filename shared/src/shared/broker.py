"""A robust RabbitMQ connection: connects in the background, reconnects by
itself, publishes only with publisher confirms, and dead-letters with a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Mapping
from typing import Any

import aio_pika
import aiormq
import structlog
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    HeadersType,
)

from shared.topology import DEAD_LETTER_EXCHANGE, declare_topology

log = structlog.get_logger(__name__)

DEAD_LETTER_REASON = "x-dead-letter-reason"


class BrokerUnavailable(Exception):
    """The broker is unreachable or did not confirm a publish in time."""


class Broker:
    """One connection per process; one confirming channel for publishing."""

    def __init__(self, url: str, *, confirm_timeout: float = 5.0, client_name: str = "") -> None:
        self._url = url
        self._confirm_timeout = confirm_timeout
        self._client_name = client_name
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Exchange handles per channel: building one per publish showed up in
        # the intake's profile. A robust channel keeps its identity across
        # reconnects, so a handle stays valid for the channel's lifetime.
        self._exchanges: weakref.WeakKeyDictionary[
            AbstractRobustChannel, dict[str, AbstractExchange]
        ] = weakref.WeakKeyDictionary()

    @property
    def ready(self) -> bool:
        conn = self._connection
        return bool(
            conn and conn.connected.is_set() and self._channel and not self._channel.is_closed
        )

    def start(self) -> None:
        """Connect in the background so a service can start while the broker is down."""
        if self._task is None:
            self._task = asyncio.create_task(self._connect_until_done())

    async def wait_ready(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        return self.ready

    async def _connect_until_done(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._connect()
                return
            except (OSError, aiormq.exceptions.AMQPError, ConnectionError) as exc:
                log.warning("broker.connect_failed", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _connect(self) -> None:
        props: dict[str, Any] = {"connection_name": self._client_name} if self._client_name else {}
        connection = await aio_pika.connect_robust(
            self._url, client_properties=props, reconnect_interval=1.0, fail_fast="true"
        )
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_topology(channel)
        self._connection, self._channel = connection, channel
        self._connected.set()
        log.info("broker.connected")

    async def consuming_channel(self, prefetch: int) -> AbstractRobustChannel:
        """A separate channel for consuming, so acks never queue behind publishes."""
        if not await self.wait_ready(timeout=3600):
            raise BrokerUnavailable("not connected")
        assert self._connection is not None
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        headers: HeadersType | None = None,
        channel: AbstractRobustChannel | None = None,
    ) -> None:
        """Publish a persistent message and wait for the broker's confirm."""
        channel = channel or self._channel
        if channel is None or not self.ready:
            raise BrokerUnavailable("not connected")
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            headers=headers or {},
        )
        try:
            handles = self._exchanges.setdefault(channel, {})
            target = handles.get(exchange)
            if target is None:
                target = handles[exchange] = await channel.get_exchange(exchange, ensure=False)
            # aiormq bounds the write and the confirm by this timeout itself; a
            # second asyncio.timeout around it was only a second timer per publish.
            await target.publish(
                message, routing_key=routing_key, mandatory=True, timeout=self._confirm_timeout
            )
        except (
            TimeoutError,
            aiormq.exceptions.AMQPError,
            aio_pika.exceptions.AMQPException,
            ConnectionError,
            RuntimeError,
        ) as exc:
            raise BrokerUnavailable(f"publish not confirmed: {type(exc).__name__}") from exc

    async def close(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()
        self._connected.clear()


async def dead_letter(
    broker: Broker,
    message: AbstractIncomingMessage,
    queue: str,
    reason: str,
    channel: AbstractRobustChannel | None = None,
) -> None:
    """Move a message to its queue's dead-letter queue with a readable reason, once.

    Publishing the copy ourselves (rather than rejecting) lets the reason travel
    with it; the original is acked only after the copy is confirmed.
    """
    headers: dict[str, Any] = dict(message.headers or {})
    headers[DEAD_LETTER_REASON] = reason[:500]
    headers["x-original-routing-key"] = message.routing_key or ""
    headers["x-source-queue"] = queue
    await broker.publish(
        DEAD_LETTER_EXCHANGE,
        queue,
        message.body,
        message_id=message.message_id or "",
        headers=headers,
        channel=channel,
    )
    await message.ack()


def header_int(headers: Mapping[str, Any] | None, key: str, default: int = 0) -> int:
    value = (headers or {}).get(key, default)
    return value if isinstance(value, int) else default
