"""Liveness, readiness (with the spool's state) and metrics.

Like shared.health's routes, but /readyz also reports the spool and the
danger lane's own connection (while it is down, those posts take the routine
one): readiness itself still means "the broker is connected". `/readyz?accepting` answers 200
while the intake can take submissions (broker up, or the spool writable):
that is the probe a load balancer wants, so a broker restart does not take
every intake out of service and turn people away. While the intake drains
before stopping (intake.draining) both answer 503.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from intake.metrics import IntakeMetrics
from intake.spool import Spool
from shared.broker import Broker


def add_health_routes(
    app: web.Application,
    broker: Broker,
    spool: Spool | None,
    metrics: IntakeMetrics,
    draining: asyncio.Event | None = None,
    danger_broker: Broker | None = None,
) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ready = broker.ready
        body: dict[str, Any] = {"ready": ready, "broker": "connected" if ready else "down"}
        if danger_broker is not None:
            body["danger_lane"] = "connected" if danger_broker.ready else "down"
        if spool is None:
            body["spool"] = {"enabled": False}
        else:
            body["spool"] = {
                "enabled": True,
                "writable": spool.is_open,
                "depth": spool.depth,
                "bytes": spool.size_bytes,
            }
        # Accepting: a POST now would be answered 202 (the spool may be full, though).
        body["accepting"] = ready or (spool is not None and spool.is_open)
        ok = body["accepting"] if "accepting" in request.query else ready
        if draining is not None and draining.is_set():
            # Stopping: still answering, but the load balancer should move on.
            body["draining"], ok = True, False
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        if spool is not None:
            metrics.spool_depth.set(spool.depth)
            metrics.spool_bytes.set(spool.size_bytes)
        return web.Response(
            body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
