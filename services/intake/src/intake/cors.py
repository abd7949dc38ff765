"""CORS for an allowlist of origins; other origins get no CORS headers at all."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

ALLOW_METHODS = "POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, Idempotency-Key, Accept"
# Lets a script read how long to wait after a 429 or 503.
EXPOSE_HEADERS = "Retry-After"


def cors_middleware(origins: Collection[str], paths: Collection[str], max_age: int) -> Middleware:
    allowed = frozenset(origins)
    cors_paths = frozenset(paths)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in cors_paths:
            return await handler(request)
        origin = request.headers.get("Origin")
        if _is_preflight(request):
            response: web.StreamResponse = web.Response(status=204)
            if origin in allowed:
                response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
                response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
                response.headers["Access-Control-Max-Age"] = str(max_age)
        else:
            response = await handler(request)
        # Vary on every answer, so a cache never serves one origin's headers to another.
        response.headers["Vary"] = "Origin"
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin or ""
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response

    return cors


def _is_preflight(request: web.Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )
