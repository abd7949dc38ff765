"""An open-loop HTTP load generator for bench_e2e: POSTs sent on a schedule.

Each POST goes at its planned time whatever the answers before it did (open
loop, so a slow server cannot slow the load down and hide its own latency),
over keep-alive connections taken from a pool and opened when none is free.
Requests are pre-encoded bytes on bare asyncio streams: aiohttp's client cost
~1.7 ms of CPU per request here, a third of a core at 200/s taken from the
services under test on a two-core machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

MAX_CONNECTIONS = 512


@dataclass
class Outcome:
    sent: dict[str, float] = field(default_factory=dict)  # submission id -> POST time
    failures: int = 0
    rate: float = 0.0


class _Pool:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open = asyncio.Semaphore(MAX_CONNECTIONS)

    async def post(self, request: bytes) -> tuple[int, bytes]:
        async with self._open:
            if self._idle:
                try:
                    return await self._exchange(*self._idle.pop(), request)
                except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                    if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                        raise
                    # The server closed this idle keep-alive connection before
                    # reading the request (nothing came back): it never saw it.
            return await self._exchange(*await self._connect(), request)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> tuple[int, bytes]:
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(_content_length(head))
        except BaseException:
            writer.close()
            raise
        self._idle.append((reader, writer))
        return int(head[9:12]), body

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self._host, self._port)

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _request(host: str, port: int, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def post_paced(
    host: str, port: int, path: str, rate: int, seconds: float, fields: Callable[[int], object]
) -> Outcome:
    """POST `fields(i)` as JSON at `rate` a second for `seconds`; 202 answers count as sent."""
    pool, outcome = _Pool(host, port), Outcome()

    async def one(request: bytes) -> None:
        started = time.perf_counter()
        try:
            status, body = await pool.post(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            outcome.failures += 1
            return
        if status != 202:
            outcome.failures += 1
            return
        outcome.sent[orjson.loads(body)["id"]] = started

    total = int(rate * seconds)
    t0 = time.perf_counter()
    tasks = []
    for i in range(total):
        request = _request(host, port, path, orjson.dumps(fields(i)))
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request)))
    await asyncio.gather(*tasks)
    outcome.rate = total / (time.perf_counter() - t0)
    pool.close()
    return outcome
