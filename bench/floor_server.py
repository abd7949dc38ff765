"""The floor for bench_intake: the least an HTTP intake can do per submission.

A bare aiohttp handler that decodes the JSON body, validates it with the same
pydantic models (`ContactFields` inside a `Submission`), and publishes it
persistent, mandatory and with a publisher confirm to the same exchange and
quorum queue as the intake (its own vhost). No limits, idempotency, metrics,
logs or spool: whatever the real intake costs above this is its features.

Run: python bench/floor_server.py --port 8099 --url amqp://guest:guest@127.0.0.1/vhost
"""

from __future__ import annotations

import argparse
import asyncio
from uuid import uuid4

import aio_pika
import orjson
import uvloop
from aiohttp import web
from pydantic import ValidationError

from shared.contracts import Submission
from shared.forms import ContactFields, FormKind
from shared.topology import SUBMISSIONS_EXCHANGE, declare_topology


def make_app(url: str) -> web.Application:
    state: dict[str, aio_pika.abc.AbstractExchange] = {}

    async def submit(request: web.Request) -> web.Response:
        try:
            fields = ContactFields.model_validate(orjson.loads(await request.read()))
        except (orjson.JSONDecodeError, ValidationError):
            return web.Response(status=422)
        submission = Submission(id=uuid4(), form=FormKind.CONTACT, fields=fields)
        await state["exchange"].publish(
            aio_pika.Message(
                submission.model_dump_json().encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(submission.id),
            ),
            routing_key="submission.contact",
            mandatory=True,
        )
        return web.Response(
            status=202,
            body=orjson.dumps({"id": str(submission.id), "status": "accepted"}),
            content_type="application/json",
        )

    async def readyz(_: web.Request) -> web.Response:
        return web.Response(status=200 if "exchange" in state else 503)

    async def lifetime(_: web.Application):  # type: ignore[no-untyped-def]
        connection = await aio_pika.connect(url)
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchanges = await declare_topology(channel)
        state["exchange"] = exchanges[SUBMISSIONS_EXCHANGE]
        yield
        await connection.close()

    app = web.Application()
    app.router.add_post("/v1/forms/contact", submit)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(lifetime)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    web.run_app(
        make_app(args.url),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
        loop=loop,
    )


if __name__ == "__main__":
    main()
