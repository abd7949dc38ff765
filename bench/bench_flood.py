"""An emergency during a flood: POST to the call request at the phone provider.

Starts intake, one triage worker and the notifier as processes (their own
vhost and database, a real SMTP server and the Twilio stand-in), publishes
20,000 routine and spam submissions straight to the submissions exchange
while triage is not yet running (so all of them are queued), starts triage,
then POSTs emergencies one at a time while the backlog is still there and
times each from its POST to the voice-call request at the stand-in.

Target: under 1 s. Run: uv run python bench/bench_flood.py [--flood 20000] [--emergencies 3]
   [--intake-pythonpath DIR:DIR]  (an older intake, for before/after)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import _common as c
import aio_pika
import aiohttp

from shared.codec import encode
from shared.contracts import Submission
from shared.forms import ContactFields, FormKind
from shared.topology import (
    SUBMISSIONS_EXCHANGE,
    TRIAGE_PRIORITY_QUEUE,
    TRIAGE_QUEUE,
    declare_topology,
)
from tests.support.smtp import SmtpServer
from tests.support.submissions import INDIRECT_EMERGENCY
from tests.support.twilio import TwilioStandIn

ROUTINE = [
    "Can you help us find a physical therapist who has worked with ALS patients near Denver?",
    "Where can I find information about clinical trials for LEMS?",
    "My insurance denied the power wheelchair, who can help with the appeal?",
    "Is there a caregiver support group that meets online in the evenings?",
]
SPAM = [
    "Buy cheap followers now!!! best SEO services, click here www.example.com",
    "Congratulations you won a prize, send your bank details to claim",
]
EMERGENCY = (
    "My husband has ALS and he can't breathe right now, his lips are going blue and "
    "the BiPAP alarm keeps going off. Please call me."
)
# No danger word stem in it: only the pre-screen's second opinion sends it to
# the priority queue.
INDIRECT = INDIRECT_EMERGENCY["message"]


def flood_body(i: int) -> bytes:
    text = (SPAM if i % 2 else ROUTINE)[i % 4 // 2 if i % 2 else i % 4]
    fields = ContactFields(name=f"Person {i}", email=f"p{i}@example.org", message=text)
    return encode(Submission(id=uuid4(), form=FormKind.CONTACT, fields=fields))


async def publish_flood(url: str, count: int) -> float:
    started = time.perf_counter()
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchanges = await declare_topology(channel)
        exchange = exchanges[SUBMISSIONS_EXCHANGE]
        bodies = [flood_body(i) for i in range(count)]
        for start in range(0, count, 500):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=""
                        ),
                        routing_key="submission.contact",
                    )
                    for body in bodies[start : start + 500]
                )
            )
    return time.perf_counter() - started


async def depth(url: str, queue: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, passive=True)
        return int(q.declaration_result.message_count or 0)


async def main_async(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    vhost, url = c.create_vhost("bench-flood")
    db_name, db_url = await c.create_database("bench_flood")
    smtp = SmtpServer()
    smtp.start()
    phone = TwilioStandIn()
    await phone.start()
    base = c.stack_env(work, url, db_url, smtp_port=smtp.port, phone=phone)
    ports = {name: c.free_port() for name in ("intake", "triage", "notifier")}
    intake = c.service(
        "intake",
        {
            **base,
            "INTAKE_PORT": str(ports["intake"]),
            **({"PYTHONPATH": args.intake_pythonpath} if args.intake_pythonpath else {}),
        },
        work,
    )
    triage = c.service("triage", {**base, "TRIAGE_HTTP_PORT": str(ports["triage"])}, work)
    notifier_url = f"http://127.0.0.1:{ports['notifier']}"
    notifier = c.service(
        "notifier",
        {**base, "NOTIFIER_PORT": str(ports["notifier"]), "PUBLIC_BASE_URL": notifier_url},
        work,
    )
    latencies: dict[str, list[float]] = {EMERGENCY: [], INDIRECT: []}
    try:
        with c.processes(intake, notifier):
            c.wait_http(f"http://127.0.0.1:{ports['intake']}/readyz", intake)
            c.wait_http(f"{notifier_url}/readyz", notifier)
            took = await publish_flood(url, args.flood)
            print(f"flood: {args.flood} submissions queued in {took:.1f} s", flush=True)
            with c.processes(triage):
                c.wait_http(f"http://127.0.0.1:{ports['triage']}/readyz", triage)
                triage_started = time.perf_counter()
                form_url = f"http://127.0.0.1:{ports['intake']}/v1/forms/contact"
                async with aiohttp.ClientSession() as session:
                    for _ in range(args.emergencies):
                        for text, times in latencies.items():
                            await asyncio.sleep(args.gap)
                            await emergency(session, form_url, text, times, phone, url, args)
                left = await depth(url, TRIAGE_QUEUE)
                elapsed = time.perf_counter() - triage_started
                print(
                    f"triage drained {args.flood - left} of {args.flood} in {elapsed:.1f} s "
                    f"({(args.flood - left) / elapsed:.0f}/s, one worker, with the notifier "
                    f"and RabbitMQ on the same 2 cores); priority queue depth now "
                    f"{await depth(url, TRIAGE_PRIORITY_QUEUE)}",
                    flush=True,
                )
                for proc in (intake, triage, notifier):
                    print(f"RSS under load {proc.name}: {c.rss_mib(proc.pid):.0f} MiB")
    finally:
        await phone.stop()
        smtp.stop()
        c.delete_vhost(vhost)
        await c.drop_database(db_name)
        shutil.rmtree(work, ignore_errors=True)

    every = [t for times in latencies.values() for t in times]
    worst = max(every) if every else float("nan")
    c.figure("flood: emergency POST -> call (worst)", worst * 1000, "ms", "< 1000 ms")
    c.figure("flood: emergency POST -> call (median)", c.median(every) * 1000, "ms")
    indirect = max(latencies[INDIRECT]) if latencies[INDIRECT] else float("nan")
    c.figure("flood: emergency with no danger word (worst)", indirect * 1000, "ms", "< 1000 ms")
    return 0


async def emergency(
    session: aiohttp.ClientSession,
    form_url: str,
    text: str,
    times: list[float],
    phone: TwilioStandIn,
    url: str,
    args: argparse.Namespace,
) -> None:
    """Post one emergency and time it to its call request."""
    fields = {
        "name": "Maria Example",
        "email": "maria@example.org",
        "phone": "+1 555 010 0199",
        "message": text,
    }
    backlog = await depth(url, TRIAGE_QUEUE)
    latency = await c.post_until_call(session, form_url, fields, phone, args.timeout)
    times.append(latency)
    kind = "danger word" if text == EMERGENCY else "no danger word"
    if latency == float("inf"):
        print(f"emergency ({kind}): no call within {args.timeout:.0f} s")
        return
    print(
        f"emergency ({kind}): POST -> call request {latency * 1000:.0f} ms "
        f"(backlog ahead in {TRIAGE_QUEUE}: {backlog})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flood", type=int, default=20_000)
    parser.add_argument("--emergencies", type=int, default=3)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds before each emergency")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--intake-pythonpath", default="")
    args = parser.parse_args()
    random.seed(1)
    return int(c.run(main_async(args)) or 0)  # type: ignore[call-overload]


if __name__ == "__main__":
    sys.exit(main())
