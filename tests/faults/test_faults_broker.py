"""The broker down, and the broker restarted under load, with the whole stack
as processes against a private RabbitMQ node (the shared one is never touched).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import aiohttp
import pytest

from tests.faults.helpers import (
    Answer,
    Mail,
    StackFactory,
    events,
    ledger_key_holds,
    post,
    post_ok,
    wait_for,
)
from tests.faults.private_broker import PrivateBroker
from tests.support.service_stack import ServiceProcess
from tests.support.smtp import SmtpServer, plain_part
from tests.support.submissions import ROUTINE
from tests.support.twilio import TwilioStandIn

pytestmark = pytest.mark.faults

TEAM_INBOX = "programs@example.org"  # where the routing sends a routine therapy question


def routine(ref: str) -> dict[str, Any]:
    return {**ROUTINE, "message": f"{ROUTINE['message']} (our ref {ref})"}


async def readyz(intake: ServiceProcess, query: str = "") -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{intake.url}/readyz{query}") as response,
    ):
        return response.status, await response.json()


@pytest.mark.timeout(150)
async def test_broker_down_intake_spools_every_post_and_forwards_oldest_first_when_back(
    make_stack: StackFactory, private_broker: PrivateBroker, smtp: SmtpServer
) -> None:
    vhost = private_broker.add_vhost()
    stack = await make_stack(private_broker.url(vhost), triage=2)
    intake = stack.first("intake")
    mail = Mail(smtp)
    warm = await post_ok(stack, ROUTINE)
    await wait_for(lambda: mail.count(warm) == 1, what="alert before the outage")

    await asyncio.to_thread(private_broker.stop)
    down_at = time.monotonic()
    for _ in range(150):  # the intake notices the broker is gone
        if (await readyz(intake))[0] == 503:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("intake still reports the broker connected")
    spooled: list[str] = []
    async with aiohttp.ClientSession() as session:
        for n in range(60):  # one at a time: the order they were accepted is known
            answer = await post(session, intake, routine(f"down-{n}"))
            assert answer.status == 202, answer
            assert answer.submission_id
            spooled.append(answer.submission_id)
    status, body = await readyz(intake, "?accepting")
    assert status == 200 and body["broker"] == "down", body
    assert body["spool"]["depth"] == len(spooled), body
    assert not any(mail.count(i) for i in spooled), "nothing can be alerted without a broker"

    took = await asyncio.to_thread(private_broker.start)
    outage = time.monotonic() - down_at
    await wait_for(
        lambda: all(mail.count(i) for i in spooled), timeout=60, what="every spooled submission"
    )
    alerted = time.monotonic() - down_at - outage
    await asyncio.sleep(1.0)
    counts = mail.refresh()
    assert all(counts[i] == 1 for i in spooled), {i: counts[i] for i in spooled if counts[i] != 1}
    assert all(mail.to_by_id[i] == [TEAM_INBOX] for i in spooled)
    forwarded = [e["submission_id"] for e in events(intake, "submission.forwarded")]
    assert forwarded == spooled, "forwarded oldest first, each once"
    assert (await readyz(intake, "?accepting"))[1]["spool"]["depth"] == 0
    print(
        f"\nbroker down {outage:.1f} s (restart took {took:.1f} s): {len(spooled)} POSTs got 202 "
        f"from the spool, forwarded in order, all {len(spooled)} alerted once, "
        f"{alerted:.1f} s after the broker was back"
    )


TOTAL = 2000
CLIENTS = 16
RATE = 80.0  # POSTs per second: 25 s of posting, the restart in the middle of it
# Smaller than an outage's worth of POSTs on purpose: if the spool fills up,
# the intake must then answer 503 + Retry-After rather than a 202 it cannot keep.
SPOOL_MAX_FILES = 800


@pytest.mark.timeout(240)
async def test_broker_restart_under_2000_posts_loses_nothing_and_alerts_once(
    make_stack: StackFactory,
    private_broker: PrivateBroker,
    smtp: SmtpServer,
    phone: TwilioStandIn,
    database_url: str,
) -> None:
    vhost = private_broker.add_vhost()
    stack = await make_stack(
        private_broker.url(vhost), triage=2, INTAKE_SPOOL_MAX_FILES=str(SPOOL_MAX_FILES)
    )
    intake = stack.first("intake")
    mail = Mail(smtp)
    answers: dict[str, Answer] = {}
    errors: list[str] = []
    todo = iter(range(TOTAL))
    started = time.monotonic()

    async def client(session: aiohttp.ClientSession) -> None:
        for n in todo:
            pause = started + n / RATE - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            ref = f"r{n:05d}"
            try:
                answers[ref] = await post(session, intake, routine(ref))
            except aiohttp.ClientError as exc:  # told nothing: counts as not accepted
                errors.append(f"{ref}: {exc!r}")

    async def restart_midway() -> tuple[float, float]:
        await wait_for(lambda: len(answers) >= TOTAL // 4, timeout=120, what="a quarter posted")
        began = time.monotonic()
        # In threads: the clients keep posting while rabbitmqctl runs.
        await asyncio.to_thread(private_broker.stop)
        await asyncio.sleep(1.0)  # down for a moment longer than a clean stop
        took = await asyncio.to_thread(private_broker.start)
        return time.monotonic() - began, took

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        restart = asyncio.create_task(restart_midway())
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
        posted = time.monotonic() - started
        outage, took = await restart

    accepted = {ref: a.submission_id for ref, a in answers.items() if a.status == 202}
    refused = {ref: a for ref, a in answers.items() if a.status == 503}
    other = {ref: a for ref, a in answers.items() if a.status not in (202, 503)}
    assert not other, other
    assert all(a.retry_after and int(a.retry_after) >= 1 for a in refused.values())
    try:
        await wait_for(
            lambda: all(mail.count(str(i)) for i in accepted.values()), timeout=60, step=0.5
        )
    except AssertionError:
        missing = [str(i) for i in accepted.values() if not mail.count(str(i))]
        raise AssertionError(
            f"{len(missing)} of {len(accepted)} accepted not alerted within 60 s "
            f"of the last POST: {missing[:5]}"
        ) from None
    drained = time.monotonic() - started - posted
    await asyncio.sleep(2.0)  # room for a late duplicate to show up
    counts = mail.refresh()
    lost = [ref for ref, i in accepted.items() if counts[str(i)] == 0]
    duplicated = sum(counts[str(i)] - 1 for i in accepted.values() if counts[str(i)] > 1)
    wrong_inbox = [ref for ref, i in accepted.items() if mail.to_by_id[str(i)][0] != TEAM_INBOX]
    # A submission that was answered 503 never reaches anyone: the client was told to retry.
    alerted_refs = {
        match.group(1)
        for m in smtp.inbox.messages
        if (match := re.search(r"\(our ref (r\d{5})\)", plain_part(m)))
    }
    alerted_refused = sorted(alerted_refs & set(refused))
    spool_forwarded = len(events(intake, "submission.forwarded"))
    print(
        f"\nbroker restart under load: {TOTAL} POSTs in {posted:.1f} s, broker down for "
        f"{outage:.1f} s (start took {took:.1f} s); 202 {len(accepted)} "
        f"(via the spool {spool_forwarded}), 503 with Retry-After {len(refused)}, "
        f"connection errors {len(errors)}; all alerted {drained:.1f} s after the last POST; "
        f"lost {len(lost)}, duplicated alerts {duplicated}, "
        f"calls/texts {len(phone.requests)}"
    )
    assert not errors, errors[:5]
    assert len(answers) == TOTAL
    assert not lost, lost[:10]
    assert not wrong_inbox, wrong_inbox[:10]
    assert not alerted_refused
    assert not phone.requests, "routine questions never phone anyone"
    # The ledger dedupes by (submission, recipient, channel) before every send, and no
    # notifier dies here, so a republished or redelivered message finds its row already
    # sent: the only way to send twice would be a claim's lease (120 s) running out
    # during one send (SMTP timeout 5 s). So the bound is zero.
    assert duplicated == 0
    assert await ledger_key_holds(database_url) == 0
