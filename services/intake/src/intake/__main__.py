"""`intake serve`: run the public HTTP API until SIGTERM or SIGINT.
`intake check-prescreen [FILE]`: check a danger word stems file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import structlog
import uvloop
from aiohttp import web

from intake.app import create_app
from intake.draining import drain_on_sigterm
from intake.settings import IntakeSettings
from shared import runtime
from shared.broker import Broker
from shared.logging import configure_logging
from shared.prescreen import PrescreenError, load_prescreen
from triage.rules import RuleFileError

log = structlog.get_logger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="intake", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the HTTP API (configured by environment)")
    check = commands.add_parser("check-prescreen", help="check a pre-screen stems file")
    check.add_argument(
        "file", nargs="?", type=Path, help="default: INTAKE_PRESCREEN_FILE, else the shipped list"
    )
    args = parser.parse_args(argv)

    settings = IntakeSettings()
    if args.command == "check-prescreen":
        return _check_prescreen(args.file or settings.intake_prescreen_file)
    configure_logging(settings.log_format, settings.log_level)
    broker, danger_broker = (
        Broker(
            settings.rabbitmq_url,
            confirm_timeout=settings.broker_confirm_timeout,
            client_name=name,
        )
        for name in ("intake", "intake-danger")
    )
    try:
        app = create_app(settings, broker, danger_broker)
    except PrescreenError as exc:
        log.error("intake.bad_prescreen_file", error=str(exc))
        return 2
    except RuleFileError as exc:
        log.error("intake.bad_rule_file", error=str(exc))
        return 2
    drain_on_sigterm(app, settings.intake_drain_seconds)
    log.info("heap.frozen", objects=runtime.freeze_heap())
    log.info("intake.starting", host=settings.intake_host, port=settings.intake_port)
    # On SIGTERM the intake drains (intake.draining), then run_app stops
    # listening, waits up to shutdown_timeout for in-flight requests (and so
    # their publishes), then runs cleanup, which closes the broker.
    web.run_app(
        app,
        host=settings.intake_host,
        port=settings.intake_port,
        shutdown_timeout=settings.intake_shutdown_timeout,
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
        # A slow client cannot hold a connection for long: aiohttp closes one
        # whose request headers have not arrived keepalive_timeout after it
        # connected (or after the previous answer), and after an early answer
        # (413) waits at most lingering_time for the rest of the body. The body
        # itself is bounded by the form handler (408).
        keepalive_timeout=settings.intake_client_timeout,
        lingering_time=settings.intake_client_timeout,
    )
    log.info("intake.stopped")
    return 0


def _check_prescreen(path: Path | None) -> int:
    try:
        prescreen = load_prescreen(path)
    except PrescreenError as exc:
        print(f"pre-screen file error: {exc}", file=sys.stderr)
        return 2
    count = len(prescreen.stems)
    print(f"{path or 'shipped list'}: ok ({count} stem{'' if count == 1 else 's'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
