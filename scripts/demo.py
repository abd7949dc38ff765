"""`make demo`: run the stack, post a handful of realistic submissions, and
show for each the triage verdict and what each staff member received, with
the time from POST to the first alert.

It uses the local channels (an outbox folder and a call log under var/demo),
so it needs nothing but RabbitMQ and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sys
import time
from email import message_from_bytes, policy
from typing import Any

import aio_pika
import aiohttp
from run_stack import VAR, local_env, preflight, start, stop

from shared.topology import RESULTS_EXCHANGE

DEMO = VAR / "demo"
SUBMISSIONS: list[tuple[str, str, dict[str, str]]] = [
    (
        "emergency",
        "contact",
        {
            "name": "Rosa Diaz",
            "email": "rosa@example.com",
            "phone": "+1 303 555 0199",
            "message": "My husband has ALS and since an hour he can't breathe properly, his lips "
            "look blue and the BiPAP alarm keeps going off. What do I do?",
        },
    ),
    (
        "urgent",
        "profile",
        {
            "name": "Dana Lee",
            "email": "dana@example.com",
            "phone": "+1 720 555 0100",
            "role": "caregiver",
            "diagnosis": "als",
            "contact_preference": "phone",
            "message": "Our home aide quits on Friday and I work nights. I can't leave him alone. "
            "Please call me today.",
        },
    ),
    (
        "routine",
        "contact",
        {
            "name": "Tom Reed",
            "email": "tom@example.com",
            "message": "Can you help us find a physical therapist who has worked with ALS "
            "patients near Denver?",
        },
    ),
    (
        "routine (es)",
        "contact",
        {
            "name": "Lucía Gómez",
            "email": "lucia@example.com",
            "message": "¿Tienen información sobre ensayos clínicos para ELA en Texas?",
        },
    ),
    (
        "donation",
        "contact",
        {
            "name": "June Park",
            "email": "june@example.com",
            "subject": "Donation",
            "message": "I would like to make a donation in memory of my father.",
        },
    ),
    (
        "spam",
        "contact",
        {
            "name": "SEO Pro",
            "email": "seo@example.net",
            "website": "http://seo.example.net",
            "message": "URGENT!!! Rank #1 on Google today. Cheap SEO packages for clinics.",
        },
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_env() -> dict[str, str]:
    env = local_env()
    env.update(
        OUTBOX_DIR=str(DEMO / "outbox"),
        CALL_LOG=str(DEMO / "calls.log"),
        INTAKE_PORT=str(free_port()),
        TRIAGE_HTTP_PORT=str(free_port()),
        NOTIFIER_PORT=str(free_port()),
        LOG_LEVEL="warning",
        INTAKE_RATE_LIMIT_BURST="1000",
    )
    return env


def alerts_about(submission_id: str) -> list[str]:
    found = []
    for path in sorted((DEMO / "outbox").glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if submission_id in path.read_text(errors="replace"):
            found.append(f"email to {mail['To']}: {mail['Subject']}")
    calls = DEMO / "calls.log"
    for line in calls.read_text().splitlines() if calls.exists() else []:
        entry = json.loads(line)
        if submission_id[:8] in entry["body"]:
            found.append(f"{entry['kind']} to {entry['to']}")
    return found


async def wait_ready(ports: list[str]) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(60):
        for port in ports:
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)


async def show(
    session: aiohttp.ClientSession,
    env: dict[str, str],
    results: dict[str, Any],
    label: str,
    form: str,
    fields: dict[str, str],
) -> None:
    url = f"http://127.0.0.1:{env['INTAKE_PORT']}/v1/forms/{form}"
    started = time.perf_counter()
    async with session.post(url, json=fields) as response:
        submission_id = str((await response.json())["id"])
    first_alert = None
    deadline = started + 5
    while time.perf_counter() < deadline:
        if first_alert is None and alerts_about(submission_id):
            first_alert = time.perf_counter() - started
        if submission_id in results and (first_alert or time.perf_counter() > started + 2):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # the other channels of the same alert finish meanwhile
    result = results.get(submission_id, {})
    reasons = "; ".join(f"{r['rule']} ({r['evidence']})" for r in result.get("reasons", [])[:3])
    print(f"\n== {label}: {submission_id}")
    print(f"   triage: {result.get('urgency')} / {result.get('topic')}  because {reasons}")
    for alert in alerts_about(submission_id) or ["no alert now (daily digest or spam count)"]:
        print(f"   -> {alert}")
    if first_alert is not None:
        print(f"   POST to first alert: {first_alert * 1000:.0f} ms")


async def run(env: dict[str, str]) -> None:
    await wait_ready([env["INTAKE_PORT"], env["TRIAGE_HTTP_PORT"], env["NOTIFIER_PORT"]])
    results: dict[str, Any] = {}
    connection = await aio_pika.connect(env.get("RABBITMQ_URL", ""))
    async with connection:
        channel = await connection.channel()
        # A private copy of every verdict, so the demo can show it.
        tap = await channel.declare_queue(exclusive=True, auto_delete=True)
        await tap.bind(RESULTS_EXCHANGE, "#")

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            body = json.loads(message.body)
            results[body["submission_id"]] = body
            await message.ack()

        await tap.consume(keep)
        async with aiohttp.ClientSession() as session:
            for label, form, fields in SUBMISSIONS:
                await show(session, env, results, label, form, fields)
    print(f"\nmail is in {DEMO / 'outbox'}, calls and texts in {DEMO / 'calls.log'}")


def main() -> int:
    env = demo_env()
    env.setdefault("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
    if not preflight(env):
        return 1
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir(parents=True)
    with (DEMO / "services.log").open("wb") as log:
        procs = start(env, output=log)
        try:
            asyncio.run(run(env))
        finally:
            stop(procs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
