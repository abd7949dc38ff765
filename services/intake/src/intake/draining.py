"""Stopping without turning anyone away.

On SIGTERM the intake first reports not ready and keeps serving for a drain
period, so the load balancer takes it out of rotation while it still answers
whatever arrives; only then does aiohttp stop (and finish the requests in
hand). Without the period, aiohttp's shutdown discards the rest of a body
still arriving at SIGTERM, and a person on a slow connection mid-post during
a deploy got a 408. A second SIGTERM, or SIGINT, stops at once.
"""

from __future__ import annotations

import asyncio
import signal

import structlog
from aiohttp import web
from aiohttp.web_runner import GracefulExit

log = structlog.get_logger(__name__)

DRAINING = web.AppKey("draining", asyncio.Event)


def drain_on_sigterm(app: web.Application, seconds: float) -> None:
    """For `run_app` only (the entry point): a test's app keeps the test's signals."""
    draining = app[DRAINING]

    async def take_over_sigterm(_: web.Application) -> None:
        # Runs after run_app installed its own handlers, so this one replaces
        # its SIGTERM handler (SIGINT keeps stopping at once).
        loop = asyncio.get_running_loop()

        def begin() -> None:
            if draining.is_set():
                _stop()
            draining.set()
            log.info("intake.draining", submission_id="-", seconds=seconds)
            loop.call_later(seconds, _stop)

        loop.add_signal_handler(signal.SIGTERM, begin)

    app.on_startup.append(take_over_sigterm)


def _stop() -> None:
    # What run_app's own signal handler raises: it unwinds the loop and runs
    # the graceful shutdown.
    raise GracefulExit()
