"""The e2e bench's SMTP server, in its own process (not a benchmark itself).

Two servers, chosen with --server:
- `lean` (default): the few SMTP commands aiosmtplib sends (EHLO/HELO, MAIL,
  RCPT, DATA, RSET, NOOP, QUIT) on a bare asyncio protocol. aiosmtpd cost
  ~1.1 ms of CPU per email here, a quarter of a core at 200/s taken from the
  services under test on a two-core machine; this costs a small fraction.
- `aiosmtpd`: the tests' server, for comparison.

In the bench process the aiosmtpd server shared the GIL with the load
generator, so it has a process (and uvloop) of its own either way.

Prints `READY <port>` once listening, then `<uuid> <CLOCK_MONOTONIC seconds>`
for each submission id in each message, when its final `.` arrives (the same
clock as time.perf_counter() in the bench process on Linux).
Run: python bench/smtp_sink.py [--port 0] [--server lean|aiosmtpd]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from typing import Any, cast

UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
END_OF_DATA = b"\r\n.\r\n"
REPLIES = {
    b"EHLO": b"250-sink.local\r\n250 8BITMIME\r\n",
    b"HELO": b"250 sink.local\r\n",
    b"MAIL": b"250 OK\r\n",
    b"RCPT": b"250 OK\r\n",
    b"RSET": b"250 OK\r\n",
    b"NOOP": b"250 OK\r\n",
    b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n",
    b"QUIT": b"221 Bye\r\n",
}


class Arrivals:
    """Prints each submission id the first time a message mentions it."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def record(self, content: bytes) -> None:
        now = time.clock_gettime(time.CLOCK_MONOTONIC)
        lines = []
        for found in set(UUID_RE.findall(content)):
            if found not in self._seen:
                self._seen.add(found)
                lines.append(f"{found.decode()} {now:.6f}\n")
        if lines:
            sys.stdout.write("".join(lines))
            sys.stdout.flush()


class LeanSmtp(asyncio.Protocol):
    def __init__(self, arrivals: Arrivals) -> None:
        self._arrivals = arrivals
        self._buffer = b""
        self._in_data = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but write alike.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(b"220 sink.local ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None and self._step():
            pass

    def _step(self) -> bool:
        """Handle one command or one message from the buffer; False when it needs more."""
        assert self._transport is not None
        if self._in_data:
            end = self._buffer.find(END_OF_DATA)
            if end < 0:
                return False
            self._arrivals.record(self._buffer[:end])
            self._buffer, self._in_data = self._buffer[end + len(END_OF_DATA) :], False
            self._transport.write(b"250 OK\r\n")
            return True
        end = self._buffer.find(b"\r\n")
        if end < 0:
            return False
        verb = self._buffer[:4].upper()
        self._buffer = self._buffer[end + 2 :]
        self._transport.write(REPLIES.get(verb, b"500 Unknown command\r\n"))
        if verb == b"DATA":
            self._in_data = True
        elif verb == b"QUIT":
            self._transport.close()
            self._transport = None
        return True


class AiosmtpdHandler:
    def __init__(self, arrivals: Arrivals) -> None:
        self._arrivals = arrivals

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._arrivals.record(envelope.content)
        return "250 OK"


async def main_async(port: int, server_kind: str) -> None:
    loop = asyncio.get_running_loop()
    arrivals = Arrivals()
    if server_kind == "lean":
        server = await loop.create_server(lambda: LeanSmtp(arrivals), host="127.0.0.1", port=port)
    else:
        from aiosmtpd.smtp import SMTP

        handler = AiosmtpdHandler(arrivals)
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="sink.local"), host="127.0.0.1", port=port
        )
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"READY {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--server", choices=("lean", "aiosmtpd"), default="lean")
    args = parser.parse_args()
    import uvloop

    uvloop.run(main_async(args.port, args.server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
