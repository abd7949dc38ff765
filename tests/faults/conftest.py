"""Fault tests: the whole stack as processes (tests.support.service_stack) while
a part of it fails: the broker down or restarted, a worker SIGKILLed, the mail
server or the phone provider away, poison messages in every queue.

Each test gets its own vhost, database, SMTP server and phone-provider
stand-in (behind a TCP proxy the test can cut), so a test's counts are its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.faults.helpers import StackFactory
from tests.faults.private_broker import private_broker
from tests.support.pii import Sensitive, leaks
from tests.support.service_stack import Stack, stack_env
from tests.support.services import create_database, create_vhost, delete_vhost, drop_database
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, ROUTINE
from tests.support.tcp_proxy import TcpProxy
from tests.support.twilio import TwilioStandIn

__all__ = ["private_broker"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: the stack as processes while the broker, a worker or a provider fails"
    )


@pytest.fixture
def vhost_url() -> Iterator[str]:
    name, url = create_vhost("faults")
    yield url
    delete_vhost(name)


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    name, url = await create_database("faults")
    yield url
    await drop_database(name)


@pytest.fixture
async def phone() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def phone_line(phone: TwilioStandIn) -> AsyncIterator[TcpProxy]:
    """The notifier reaches the phone provider through this; cut() takes it away."""
    host, port = phone.base_url.removeprefix("http://").rsplit(":", 1)
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def make_stack(
    tmp_path: Path,
    vhost_url: str,  # torn down after the stack: services must not outlive their vhost
    database_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
    phone_line: TcpProxy,
) -> AsyncIterator[StackFactory]:
    """Builds and starts a stack: `await make_stack(rabbitmq_url, triage=2, notifiers=1, **env)`.

    Every process it started is stopped afterwards (killed if it will not stop).
    """
    stacks: list[Stack] = []

    async def make(
        rabbitmq_url: str, *, triage: int = 2, notifiers: int = 1, wait: bool = True, **extra: str
    ) -> Stack:
        workdir = tmp_path / f"stack-{len(stacks)}"
        workdir.mkdir()
        env = stack_env(
            workdir,
            rabbitmq_url,
            database_url,
            smtp_port=smtp.port,
            phone=phone,
            phone_url=f"http://127.0.0.1:{phone_line.port}",
            provider_timeout=5,
            rate_limit_per_minute=100_000_000,
            rate_limit_burst=1_000_000,
            extra=extra,
        )
        stack = Stack.whole(
            workdir, env, triage=triage, notifiers=notifiers, status_callbacks=False
        )
        stacks.append(stack)
        await stack.start_all(wait_ready=wait)
        return stack

    yield make
    for stack in stacks:
        for group in stack.services.values():
            for service in group:
                with contextlib.suppress(ProcessLookupError):
                    await service.stop(timeout=20)
    # Whatever failed on the way (tracebacks, provider and database errors), no
    # log line holds what people wrote or a secret.
    sensitive = Sensitive({phone.auth_token})
    for fields in (EMERGENCY, ROUTINE):
        sensitive.add_fields(fields)
    for stack in stacks:
        for group in stack.services.values():
            for service in group:
                found = leaks(service.logs(), sensitive.values)
                assert not found, f"{service.log_path.name} shows personal data: {found}"
