"""The whole stack as processes (intake, triage, notifier; real SMTP, the phone
provider's stand-in) fed hostile payloads: the alerts keep their headers, the
email escapes every value, SMS and voice carry no message text, and no log
line of any of the three services holds what was sent or a secret."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from tests.hostile.hostile_support import HOSTILE_ENV, SECRETS, SECRETS_ENV
from tests.support.pii import Sensitive, leaks
from tests.support.service_stack import Stack, stack_env
from tests.support.smtp import SmtpServer, html_part, plain_part
from tests.support.twilio import TwilioStandIn

pytestmark = [pytest.mark.hostile, pytest.mark.e2e, pytest.mark.timeout(120)]


EMERGENCY = {
    "name": "Ottoline <script>alert(1)</script> Vasquez-Brightwater",
    "email": "ottoline.vasquez@example.com",
    "phone": "+1 303 555 0188",
    "subject": "<img src=x onerror=alert(2)> Help",
    "message": "My husband has ALS and he can't breathe right now, his lips are blue.\r\n"
    "Bcc: attacker@example.net\r\n\r\n<script>document.location='//evil'</script> "
    "Quoted \u202egnp.exe\u202c from Wolfgang-Thistlewood.",
}
ROUTINE = {
    "name": "Perpetua </td><b>Fairweather</b>",
    "email": "perpetua.fairweather@example.org",
    "phone": "+1 720 555 0166",
    "message": "Can you help us find a physical therapist near Denver? "
    '"><svg onload=alert(3)> Ask for Marchetti-Quinlan.',
}
SPAM = {
    "name": "Cheap Meds Hyperion",
    "email": "hyperion.meds@example.biz",
    "message": "BUY NOW http://pills.example click here final notice, Glaxon-9931 deals",
    "website": "http://bot.example",
}
REFUSED = [  # 422 at the intake: never published, never logged
    {**ROUTINE, "name": "Lysander Quill\r\nBcc: x@example.net"},
    {**ROUTINE, "subject": "Refund\u202eexe.cod"},
    {**ROUTINE, "email": "<script>@example.org"},
]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
async def phone() -> AsyncIterator[TwilioStandIn]:
    # The secret auth token: the notifier must use it and never log it.
    stand_in = TwilioStandIn(auth_token=SECRETS_ENV["TWILIO_AUTH_TOKEN"])
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory,
    module_rabbitmq_url: str,
    module_database_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> AsyncIterator[Stack]:
    workdir = tmp_path_factory.mktemp("hostile-stack")
    env = stack_env(
        workdir,
        module_rabbitmq_url,
        module_database_url,
        smtp_port=smtp.port,
        phone=phone,
        extra=HOSTILE_ENV,
    )
    stack = Stack.whole(workdir, env, triage=1, status_callbacks=True)
    await stack.start_all()
    yield stack
    await stack.stop_all()


async def wait_for(check: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - external state (an inbox)
            await asyncio.sleep(0.05)


async def post(session: aiohttp.ClientSession, base: str, fields: dict[str, Any]) -> Any:
    async with session.post(f"{base}/v1/forms/contact", json=fields) as response:
        return response.status, await response.json()


async def test_hostile_payloads_through_the_whole_stack(
    stack: Stack, smtp: SmtpServer, phone: TwilioStandIn
) -> None:
    sensitive = Sensitive(set(SECRETS))
    for fields in (EMERGENCY, ROUTINE, SPAM, *REFUSED):
        sensitive.add_fields(fields)
    # Every line of each message, and the distinctive names inside them.
    sensitive.add("Wolfgang-Thistlewood", "Marchetti-Quinlan", "Glaxon-9931", "Lysander Quill")
    base = stack.first("intake").url
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        ids = {}
        for label, fields in (("emergency", EMERGENCY), ("routine", ROUTINE), ("spam", SPAM)):
            status, body = await post(session, base, fields)
            assert status == 202, body
            ids[label] = body["id"]
        for fields in REFUSED:
            status, body = await post(session, base, fields)
            assert status == 422, body
        # Hostile transport too, in the same run: a slow body and a huge one.
        async with session.post(
            f"{base}/v1/forms/contact",
            data=b"{" + b" " * (1024 * 1024),
            headers={"Content-Type": "application/json"},
        ) as response:
            assert response.status == 413

    emergency, routine = ids["emergency"], ids["routine"]
    await wait_for(lambda: bool(smtp.inbox.about(emergency)) and bool(smtp.inbox.about(routine)))
    # Voice and SMS carry the inquiry id (at least its first 8 characters).
    await wait_for(lambda: any(emergency[:8] in c.get("Twiml", "") for c in phone.calls()))
    await wait_for(lambda: bool(phone.texts()))
    started = time.monotonic()

    for submission_id in (emergency, routine):
        for message in smtp.inbox.about(submission_id):
            # Headers intact: one line each, nothing injected, no extra recipient.
            assert message["Bcc"] is None and message["X-Injected"] is None
            subject = str(message["Subject"])
            assert "\n" not in subject and "\r" not in subject and "\u202e" not in subject
            assert "attacker@example.net" not in str(message["To"])
            html = html_part(message)
            assert "<script" not in html and "<img" not in html and "<svg" not in html
            assert "<b>Fairweather" not in html and "</td><b>" not in html
            assert "&lt;script&gt;" in html or "&lt;svg" in html
            # The message is quoted in full in the email (staff need it).
            assert "Bcc: attacker@example.net" in plain_part(message) or submission_id == routine
    for request in phone.requests:
        said = request.get("Body", "") + request.get("Twiml", "")
        assert "breathe" not in said and "<script" not in said and "\u202e" not in said
        assert "Wolfgang" not in said and "lips" not in said
    # The spam was only counted: nothing sent about it.
    assert not smtp.inbox.about(ids["spam"])
    assert not [r for r in phone.requests if ids["spam"] in str(r)]

    # Give the services a moment to write what they log after sending.
    await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    for group in stack.services.values():
        for service in group:
            text = service.logs()
            assert text.strip(), f"{service.name} wrote no log at all"
            found = leaks(text, sensitive.values)
            assert not found, f"{service.log_path.name} shows personal data or secrets: {found}"
