"""The whole stack as processes: intake, two triage workers, notifier,
against the real broker and database, a real SMTP server and the phone
provider's stand-in, all on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.pii import Sensitive, leaks
from tests.support.service_stack import Stack, stack_env
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, INDIRECT_EMERGENCY, ROUTINE
from tests.support.twilio import TwilioStandIn


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
    env = stack_env(
        workdir, module_rabbitmq_url, module_database_url, smtp_port=smtp.port, phone=phone
    )
    stack = Stack.whole(workdir, env, triage=2, status_callbacks=True)
    await stack.start_all()
    yield stack
    await stack.stop_all()
    sensitive = Sensitive({phone.auth_token})
    for fields in (EMERGENCY, ROUTINE, INDIRECT_EMERGENCY):
        sensitive.add_fields(fields)
    found = leaks(stack.all_logs(), sensitive.values)
    assert not found, f"a service log shows personal data or a secret: {found}"
