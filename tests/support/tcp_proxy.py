"""A small TCP proxy on 127.0.0.1 that a test can cut and restore.

It stands between a service and the real RabbitMQ, so a test can make "the
broker" unreachable without stopping the RabbitMQ other test runs share.
While cut, it closes every open connection and every new one at once, but
keeps its port, so the service reconnects to the same address on restore.
Stalled, it keeps every connection open but passes no byte either way: a
peer that stopped answering without a reset.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._open = True
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @classmethod
    def to(cls, url: str) -> TcpProxy:
        """A proxy (not started) to the host and port of a service URL."""
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 0)

    def url(self, url: str) -> str:
        """`url` with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        user = parts.netloc.rpartition("@")[0]
        login = f"{user}@" if user else ""
        return urlunsplit(parts._replace(netloc=f"{login}127.0.0.1:{self.port}"))

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self.port

    def cut(self) -> None:
        """Drop every connection now and refuse new ones until restore()."""
        self._open = False
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def stall(self) -> None:
        """Hold every byte, on open and new connections alike, until restore()."""
        self._flowing.clear()

    def restore(self) -> None:
        self._open = True
        self._flowing.set()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if not self._open:
            client_w.transport.abort()
            return
        try:
            async with asyncio.timeout(5):
                upstream_r, upstream_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.transport.abort()
            return
        self._writers.update((client_w, upstream_w))
        for reader, writer in ((client_r, upstream_w), (upstream_r, client_w)):
            task = asyncio.create_task(self._pipe(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while self._open and (chunk := await reader.read(65536)):
                await self._flowing.wait()
                writer.write(chunk)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)
