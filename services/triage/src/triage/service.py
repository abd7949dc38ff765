"""The triage worker's composition root: settings in, parts built, run."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import structlog
from aiohttp import web

from shared import runtime
from shared.broker import Broker
from shared.health import add_health_routes, start_site
from shared.logging import configure_logging
from shared.topology import TRIAGE_PRIORITY_QUEUE
from triage.engine import Classifier, load_classifier
from triage.metrics import TriageMetrics
from triage.rules import RuleFileError
from triage.settings import TriageSettings
from triage.worker import TriageWorker

log = structlog.get_logger(__name__)


async def run(settings: TriageSettings, classifier: Classifier) -> None:
    metrics = TriageMetrics()
    broker = Broker(
        settings.rabbitmq_url,
        confirm_timeout=settings.broker_confirm_timeout,
        client_name="triage",
    )
    worker = TriageWorker(broker, classifier, metrics)
    # Its own channel and consumer: what the intake's pre-screen flagged never
    # waits behind a backlog in the main queue.
    priority = TriageWorker(broker, classifier, metrics, queue=TRIAGE_PRIORITY_QUEUE)
    app = web.Application()
    add_health_routes(app, lambda: broker.ready, metrics.registry)
    runner = await start_site(app, settings.triage_http_host, settings.triage_http_port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    broker.start()
    starting = asyncio.create_task(_start(settings.triage_prefetch, priority, worker))
    log.info("triage.started", ruleset=classifier.version, port=settings.triage_http_port)
    await stopping.wait()
    log.info("triage.stopping")
    if starting.done():
        await asyncio.gather(
            worker.stop(settings.triage_shutdown_grace),
            priority.stop(settings.triage_shutdown_grace),
        )
    else:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    await broker.close()
    await runner.cleanup()
    log.info("triage.stopped")


async def _start(prefetch: int, *workers: TriageWorker) -> None:
    for worker in workers:
        await worker.start(prefetch)


def serve() -> None:
    settings = TriageSettings()
    configure_logging(settings.log_format, settings.log_level)
    log.info("worker.niceness", niceness=runtime.yield_cpu(settings.worker_niceness))
    try:
        classifier = load_classifier(settings.triage_rules_file)
    except RuleFileError as exc:
        log.error("triage.bad_rule_file", error=str(exc))
        sys.exit(2)
    log.info("heap.frozen", objects=runtime.freeze_heap())
    runtime.run(run(settings, classifier))
