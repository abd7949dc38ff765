"""The e2e bench's SMTP server, in its own process (not a benchmark itself).

In the bench process the aiosmtpd server shared the GIL with the load
generator (aiosmtpd's Controller runs its loop in a thread), so every SMTP
reply waited for the generator to let go of the interpreter. Here it has a
process, an event loop (uvloop) and a core share of its own.

Prints `READY <port>` once listening, then `<uuid> <CLOCK_MONOTONIC seconds>`
for each submission id in each message, when the DATA handler gets it (the same
clock as time.perf_counter() in the bench process on Linux).
Run: python bench/smtp_sink.py [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from typing import Any

from aiosmtpd.smtp import SMTP

UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Printer:
    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.clock_gettime(time.CLOCK_MONOTONIC)
        lines = []
        for found in set(UUID_RE.findall(envelope.content)):
            if found not in self._seen:
                self._seen.add(found)
                lines.append(f"{found.decode()} {now:.6f}\n")
        if lines:
            sys.stdout.write("".join(lines))
            sys.stdout.flush()
        return "250 OK"


async def main_async(port: int) -> None:
    loop = asyncio.get_running_loop()
    handler = Printer()
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
    args = parser.parse_args()
    import uvloop

    uvloop.run(main_async(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
