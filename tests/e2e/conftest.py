"""The whole stack as processes: intake, two triage workers, notifier,
against the real broker and database, a real SMTP server and the phone
provider's stand-in, all on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.e2e.stack import Stack
from tests.support.routing import burst_routing
from tests.support.services import create_database, create_vhost, delete_vhost, drop_database
from tests.support.smtp import SmtpServer
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioStandIn


@pytest.fixture(scope="module")
def module_rabbitmq_url() -> Iterator[str]:
    name, url = create_vhost("e2e")
    yield url
    delete_vhost(name)


@pytest.fixture(scope="module")
async def module_database_url() -> AsyncIterator[str]:
    name, url = await create_database("e2e")
    yield url
    await drop_database(name)


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
async def phone() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory,
    module_rabbitmq_url: str,
    module_database_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> AsyncIterator[Stack]:
    workdir = tmp_path_factory.mktemp("stack")
    env = {
        "RABBITMQ_URL": module_rabbitmq_url,
        "DATABASE_URL": module_database_url,
        "LOG_FORMAT": "json",
        "INTAKE_RATE_LIMIT_PER_MINUTE": "1000000",
        "INTAKE_RATE_LIMIT_BURST": "100000",
        "INTAKE_SPOOL_DIR": str(workdir / "spool"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "MAIL_FROM": "alerts@example.org",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE": phone.base_url,
        "ROUTING_FILE": str(burst_routing(workdir)),
        "OPS_EMAIL": "ops@example.org",
    }
    stack = Stack(workdir, env)
    stack.add("intake", "INTAKE_PORT")
    stack.add("triage", "TRIAGE_HTTP_PORT")
    stack.add("triage", "TRIAGE_HTTP_PORT")
    notifier = stack.add("notifier", "NOTIFIER_PORT")
    notifier.env["PUBLIC_BASE_URL"] = notifier.url
    await stack.start_all()
    yield stack
    await stack.stop_all()
