"""`notifier serve | migrate | digest [--now] | check-routing [FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import structlog

from notifier.bootstrap import build_dispatcher, start_service
from notifier.ledger import Ledger
from notifier.routing_file import RoutingFileError, load_routing
from notifier.scheduler import Scheduler
from notifier.settings import NotifierSettings
from shared import runtime
from shared.logging import configure_logging

log = structlog.get_logger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notifier", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="consume triage results and alert staff")
    commands.add_parser("migrate", help="apply the ledger's schema migrations")
    digest = commands.add_parser("digest", help="send the daily digest if it is due")
    digest.add_argument("--now", action="store_true", help="send what is pending now")
    check = commands.add_parser("check-routing", help="validate a routing file")
    check.add_argument("file", nargs="?", type=Path, help="default: ROUTING_FILE")
    return parser


async def _serve(settings: NotifierSettings) -> None:
    service = await start_service(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("notifier.stopping", submission_id="-")
    await service.stop()
    log.info("notifier.stopped", submission_id="-")


async def _migrate(settings: NotifierSettings) -> None:
    ledger = await Ledger.connect(settings.database_url, timedelta(seconds=60))
    try:
        applied = await ledger.migrate()
        print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")
    finally:
        await ledger.close()


async def _digest(settings: NotifierSettings, now: bool) -> int:
    async with aiohttp.ClientSession() as session:
        dispatcher = await build_dispatcher(settings, session)
        try:
            await dispatcher.ledger.migrate()
            outcome = await Scheduler(dispatcher, 0).send_digest(force=now)
        finally:
            await dispatcher.ledger.close()
    return 0 if outcome.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = NotifierSettings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        if args.command == "check-routing":
            path = args.file or settings.routing_file
            config = load_routing(path)
            print(f"{path}: ok ({len(config.staff)} staff, {len(config.rules)} rules)")
            return 0
        load_routing(settings.routing_file)  # fail fast, before touching anything
        if args.command == "serve":
            log.info("worker.niceness", niceness=runtime.yield_cpu(settings.worker_niceness))
            log.info("heap.frozen", submission_id="-", objects=runtime.freeze_heap())
            runtime.run(_serve(settings))  # uvloop where installed
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "digest":
            return asyncio.run(_digest(settings, args.now))
    except RoutingFileError as exc:
        print(f"routing file error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
