"""The composition root: every part of the intake is built and wired here."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from shared.broker import Broker
from shared.health import add_health_routes

from intake.clientmeta import ClientIdentifier
from intake.cors import cors_middleware
from intake.idempotency import IdempotencyCache
from intake.metrics import IntakeMetrics
from intake.middleware import errors_middleware, metrics_middleware
from intake.ratelimit import RateLimiter
from intake.routes import FORM_PATHS, FormEndpoint, add_routes
from intake.settings import IntakeSettings
from intake.submissions import Accepted, SubmissionDesk


def create_app(settings: IntakeSettings, broker: Broker) -> web.Application:
    """The app owns the broker's lifetime: started on startup, closed on cleanup."""
    metrics = IntakeMetrics()
    app = web.Application(
        # One byte over the limit is enough for read() to refuse the body.
        client_max_size=settings.intake_max_body_bytes,
        middlewares=[
            metrics_middleware(metrics),
            cors_middleware(
                settings.intake_cors_origins, FORM_PATHS.values(), settings.intake_cors_max_age
            ),
            errors_middleware(settings.intake_unavailable_retry_after),
        ],
    )
    add_routes(app, _form_endpoint(settings, broker, metrics))
    add_health_routes(app, lambda: broker.ready, metrics.registry)

    async def broker_lifetime(_: web.Application) -> AsyncIterator[None]:
        broker.start()
        yield
        # Cleanup runs after in-flight handlers finished, so no publish is cut off.
        await broker.close()

    app.cleanup_ctx.append(broker_lifetime)
    return app


def _form_endpoint(
    settings: IntakeSettings, broker: Broker, metrics: IntakeMetrics
) -> FormEndpoint:
    return FormEndpoint(
        desk=SubmissionDesk(
            broker,
            metrics,
            honeypot_field=settings.intake_honeypot_field,
            retry_after=settings.intake_unavailable_retry_after,
        ),
        clients=ClientIdentifier(
            settings.client_hash_secret.get_secret_value().encode(),
            trust_forwarded_for=settings.trust_forwarded_for,
        ),
        limiter=RateLimiter(
            settings.intake_rate_limit_per_minute, settings.intake_rate_limit_burst
        ),
        replies=IdempotencyCache[Accepted](
            settings.intake_idempotency_ttl_seconds, settings.intake_idempotency_max_keys
        ),
        max_body_bytes=settings.intake_max_body_bytes,
        thank_you_url=settings.intake_thank_you_url,
    )
