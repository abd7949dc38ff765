"""Fixtures for the notifier against the real broker, PostgreSQL, a real SMTP
server and the Twilio stand-in. Each test gets empty queues and an empty ledger."""

from __future__ import annotations

import sys
from pathlib import Path

# The repository root, so `tests.support` imports however pytest was started.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from collections.abc import AsyncIterator  # noqa: E402

import aio_pika  # noqa: E402
import asyncpg  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from notifier.settings import NotifierSettings  # noqa: E402
from shared.broker import Broker  # noqa: E402
from shared.topology import (  # noqa: E402
    NOTIFIER_EMERGENCY_QUEUE,
    NOTIFIER_RESULTS_QUEUE,
    NOTIFIER_RETRY_DELAYS,
    declare_topology,
    retry_queue_name,
)
from tests.integration.notifier.harness import (  # noqa: E402
    OPS_EMAIL,
    Clock,
    Harness,
    routing_doc,
)
from tests.support.ports import free_port  # noqa: E402
from tests.support.smtp import SmtpServer  # noqa: E402
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioStandIn  # noqa: E402

WORK_QUEUES = (NOTIFIER_EMERGENCY_QUEUE, NOTIFIER_RESULTS_QUEUE)


async def _purge(url: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await declare_topology(channel)
        for queue in WORK_QUEUES:
            names = [queue, f"{queue}.dead"]
            names += [retry_queue_name(queue, s) for s in range(len(NOTIFIER_RETRY_DELAYS))]
            for name in names:
                await (await channel.get_queue(name)).purge()


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def routing_file(tmp_path: Path) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(routing_doc()))
    return path


@pytest.fixture
async def harness(
    rabbitmq_url: str,
    database_url: str,
    smtp: SmtpServer,
    twilio: TwilioStandIn,
    routing_file: Path,
    tmp_path: Path,
) -> AsyncIterator[Harness]:
    await _purge(rabbitmq_url)
    db = await asyncpg.connect(database_url)
    exists = await db.fetchval("SELECT to_regclass('deliveries') IS NOT NULL")
    if exists:
        await db.execute("TRUNCATE results, deliveries, delivery_events, digest_runs CASCADE")
    port = free_port()
    settings = NotifierSettings(
        rabbitmq_url=rabbitmq_url,
        database_url=database_url,
        routing_file=routing_file,
        notifier_port=port,
        public_base_url=f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout=3.0,
        mail_from="Alerts <alerts@example.org>",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=twilio.base_url,
        twilio_timeout=3.0,
        chat_webhook_url=f"{twilio.base_url}/chat",
        ops_email=OPS_EMAIL,
        outbox_dir=tmp_path / "outbox",
        call_log=tmp_path / "calls.log",
        scheduler_interval=0.2,
        claim_lease_seconds=30,
        log_format="json",
    )
    broker = Broker(rabbitmq_url, client_name="notifier-test")
    broker.start()
    assert await broker.wait_ready(10)
    h = Harness(settings, smtp, twilio, Clock(), broker, db)
    try:
        yield h
    finally:
        await h.stop()
        await broker.close()
        await db.close()
