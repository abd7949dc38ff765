"""Middlewares that hold for every route: one error shape, request metrics."""

from __future__ import annotations

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import Counter

from intake.errors import ApiError, unavailable
from intake.metrics import IntakeMetrics
from intake.pages import FormPage
from intake.responses import error_response
from intake.routes import SUBMISSION_ID

log = structlog.get_logger(__name__)


def errors_middleware(retry_after: int, form_page: FormPage | None = None) -> Middleware:
    """Every failure becomes a JSON (or, for browsers, HTML) error answer.

    Nothing but 503 is ever a 5xx, and no traceback reaches a client: an
    unexpected error is logged by type and answered like an outage, which a
    client retries, so a bug never silently loses a submission. A browser
    posting a form gets the form page again, with its values and the errors.
    """

    def answer(request: web.Request, error: ApiError) -> web.Response:
        return error_response(request, error, form_page)

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return answer(request, exc)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            if exc.status >= 500:
                return answer(request, unavailable(retry_after))
            return answer(request, ApiError.whole(exc.status, exc.reason.lower()))
        except Exception as exc:
            log.error(
                "request.failed",
                submission_id=str(request.get(SUBMISSION_ID, "")),
                route=_route(request),
                error=type(exc).__name__,
            )
            return answer(request, unavailable(retry_after))

    return errors


def metrics_middleware(metrics: IntakeMetrics) -> Middleware:
    # Labelled children cached by (route, status): both sets are small and
    # labels() on every request showed in the profile.
    counters: dict[tuple[str, int], Counter] = {}

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        key = (_route(request), response.status)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = metrics.requests.labels(key[0], str(key[1]))
        counter.inc()
        return response

    return count


def _route(request: web.Request) -> str:
    # The route template, not the path, keeps the label set small.
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
