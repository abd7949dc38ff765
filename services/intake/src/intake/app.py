"""The composition root: every part of the intake is built and wired here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import structlog
from aiohttp import web

from intake.clientmeta import ClientIdentifier
from intake.cors import cors_middleware
from intake.danger import triage_opinion
from intake.draining import DRAINING
from intake.forwarder import SpoolForwarder
from intake.health import add_health_routes
from intake.idempotency import IdempotencyCache
from intake.metrics import IntakeMetrics
from intake.middleware import errors_middleware, metrics_middleware
from intake.ratelimit import ClientLimits
from intake.routes import FORM_PATHS, FormEndpoint, add_routes
from intake.settings import IntakeSettings
from intake.site import (
    add_site_routes,
    content_security_policy,
    form_page_for,
    load_static,
    security_headers_middleware,
)
from intake.spool import Spool
from intake.submissions import Accepted, SubmissionDesk
from shared.broker import Broker
from shared.prescreen import Prescreen, load_prescreen

log = structlog.get_logger(__name__)


def create_app(
    settings: IntakeSettings, broker: Broker, danger_broker: Broker | None = None
) -> web.Application:
    """The app owns the brokers' and the spool's lifetime: started on startup,
    closed on cleanup. `danger_broker`, a second connection, carries the posts
    the pre-screen flags (intake.submissions). Raises PrescreenError for an
    unusable stems file, RuleFileError for an unusable triage rule file."""
    metrics = IntakeMetrics()
    opinion = (
        triage_opinion(settings.triage_rules_file) if settings.intake_prescreen_triage else None
    )
    prescreen = load_prescreen(settings.intake_prescreen_file, opinion)
    static_files = load_static()
    form_page = form_page_for(FORM_PATHS, settings.intake_honeypot_field, static_files)
    app = web.Application(
        # One byte over the limit is enough for read() to refuse the body.
        client_max_size=settings.intake_max_body_bytes,
        middlewares=[
            metrics_middleware(metrics),
            security_headers_middleware(content_security_policy(settings.intake_thank_you_url)),
            cors_middleware(
                settings.intake_cors_origins, FORM_PATHS.values(), settings.intake_cors_max_age
            ),
            errors_middleware(settings.intake_unavailable_retry_after, form_page),
        ],
    )
    # Set by the entry point's SIGTERM handler (intake.draining); /readyz reads it.
    app[DRAINING] = asyncio.Event()
    spool = _spool(settings)
    forwarder = SpoolForwarder(spool, broker, metrics) if spool is not None else None
    desk = _desk(settings, broker, danger_broker, metrics, prescreen, spool, forwarder)
    add_routes(app, _form_endpoint(settings, desk, metrics, prescreen))
    add_site_routes(app, form_page, static_files)
    add_health_routes(app, broker, spool, metrics, app[DRAINING], danger_broker)

    async def lifetime(_: web.Application) -> AsyncIterator[None]:
        broker.start()
        if danger_broker is not None:
            danger_broker.start()
        if spool is not None and forwarder is not None:
            await _open_spool(spool)
            # Also forwards whatever a previous run left in the spool.
            forwarder.start()
        yield
        # Cleanup runs after in-flight handlers finished, so no publish is cut off.
        if forwarder is not None:
            await forwarder.close()
        await broker.close()
        if danger_broker is not None:
            await danger_broker.close()
        if spool is not None:
            spool.close()

    app.cleanup_ctx.append(lifetime)
    return app


def _spool(settings: IntakeSettings) -> Spool | None:
    if not settings.intake_spool_dir:
        return None
    return Spool(
        Path(settings.intake_spool_dir),
        max_bytes=settings.intake_spool_max_bytes,
        max_files=settings.intake_spool_max_files,
        reserve=settings.intake_spool_danger_reserve,
    )


async def _open_spool(spool: Spool) -> None:
    try:
        await asyncio.to_thread(spool.open)
    except OSError as exc:
        # Serve anyway: with the broker up nothing needs the spool, and each
        # spooling attempt tries to open it again.
        log.error("spool.unwritable", directory=str(spool.directory), error=type(exc).__name__)
    else:
        log.info("spool.opened", directory=str(spool.directory), depth=spool.depth)


def _desk(
    settings: IntakeSettings,
    broker: Broker,
    danger_broker: Broker | None,
    metrics: IntakeMetrics,
    prescreen: Prescreen,
    spool: Spool | None,
    forwarder: SpoolForwarder | None,
) -> SubmissionDesk:
    return SubmissionDesk(
        broker,
        metrics,
        prescreen,
        honeypot_field=settings.intake_honeypot_field,
        retry_after=settings.intake_unavailable_retry_after,
        spool=spool,
        on_spooled=forwarder.wake if forwarder is not None else lambda: None,
        danger_broker=danger_broker,
    )


def _form_endpoint(
    settings: IntakeSettings, desk: SubmissionDesk, metrics: IntakeMetrics, prescreen: Prescreen
) -> FormEndpoint:
    return FormEndpoint(
        desk=desk,
        clients=ClientIdentifier(
            settings.client_hash_secret.get_secret_value().encode(),
            trust_forwarded_for=settings.trust_forwarded_for,
        ),
        limits=ClientLimits(
            settings.intake_rate_limit_per_minute, settings.intake_rate_limit_burst
        ),
        prescreen=prescreen,
        metrics=metrics,
        replies=IdempotencyCache[Accepted](
            settings.intake_idempotency_ttl_seconds, settings.intake_idempotency_max_keys
        ),
        max_body_bytes=settings.intake_max_body_bytes,
        thank_you_url=settings.intake_thank_you_url,
        client_timeout=settings.intake_client_timeout,
    )
