"""A triage or notifier process SIGKILLed mid-stream: nothing is lost, and the
work the broker hands out again does not alert anyone twice."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from typing import Any

import aiohttp
import pytest

from tests.faults.helpers import (
    Mail,
    StackFactory,
    calls_about,
    ledger_key_holds,
    ledger_rows,
    post,
    texts_about,
    wait_for,
)
from tests.support.service_stack import Stack
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY, ROUTINE
from tests.support.twilio import TwilioStandIn

pytestmark = [pytest.mark.faults, pytest.mark.timeout(150)]


async def post_many(stack: Stack, plan: list[dict[str, Any]], parallel: int = 8) -> list[str]:
    """Post every form in `plan`; all must be accepted (the broker is up)."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for fields in plan:
        queue.put_nowait(fields)
    accepted: list[str] = []

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            answer = await post(session, stack.first("intake"), queue.get_nowait())
            assert answer.status == 202 and answer.submission_id, answer
            accepted.append(answer.submission_id)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(parallel)))
    return accepted


async def test_sigkill_a_triage_worker_mid_stream_loses_nothing_and_alerts_once(
    make_stack: StackFactory, vhost_url: str, database_url: str, smtp: SmtpServer
) -> None:
    stack = await make_stack(vhost_url, triage=2)
    mail = Mail(smtp)
    total = 400
    posting = asyncio.create_task(post_many(stack, [ROUTINE] * total))
    # Mid-stream: alerts are flowing and the queue still holds work.
    await wait_for(lambda: sum(mail.refresh().values()) >= 40, what="first alerts")
    victim = stack.services["triage"][0]
    code = await victim.kill()
    assert code == -signal.SIGKILL
    killed_at = sum(mail.refresh().values())
    accepted = await posting
    await victim.start()
    await victim.wait_ready()
    await wait_for(
        lambda: all(mail.count(i) for i in accepted), timeout=90, what="every submission alerted"
    )
    await asyncio.sleep(1.0)  # room for a late duplicate to show up
    counts = mail.refresh()
    lost = [i for i in accepted if counts[i] == 0]
    duplicated = {i: counts[i] for i in accepted if counts[i] > 1}
    print(
        f"\ntriage SIGKILL: accepted {len(accepted)}, alerted before the kill {killed_at}, "
        f"lost {len(lost)}, duplicated emails {sum(duplicated.values()) - len(duplicated)}"
    )
    assert len(accepted) == total
    assert not lost
    assert not duplicated
    assert await ledger_key_holds(database_url) == 0


async def test_sigkill_the_notifier_mid_stream_loses_nothing_and_alerts_once(
    make_stack: StackFactory,
    vhost_url: str,
    database_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> None:
    # A claim's lease outlives any one send (timeouts 3 s < lease 4 s), and runs
    # out before the first retry (5 s), so a send the kill cut short is retried soon.
    stack = await make_stack(
        vhost_url,
        triage=2,
        CLAIM_LEASE_SECONDS="4",
        SMTP_TIMEOUT="3",
        TWILIO_TIMEOUT="3",
    )
    mail = Mail(smtp)
    plan = [EMERGENCY if n % 15 == 0 else ROUTINE for n in range(300)]
    posting = asyncio.create_task(post_many(stack, plan))
    await wait_for(lambda: sum(mail.refresh().values()) >= 40, what="first alerts")
    victim = stack.first("notifier")
    assert await victim.kill() == -signal.SIGKILL
    killed_at = sum(mail.refresh().values())
    # Sends the kill cut short: claimed in the ledger, never finished. Whether the
    # provider took one before the kill nobody can know (no SMTP or Twilio API
    # says so), so each may go out twice, and only these may.
    in_flight = {
        (r["submission_id"], r["channel"])
        for r in await ledger_rows(database_url)
        if r["status"] == "claimed"
    }
    accepted = await posting
    await victim.start()
    await victim.wait_ready()
    await wait_for(
        lambda: all(mail.count(i) for i in accepted), timeout=90, what="every submission alerted"
    )
    emergencies = [i for i in accepted if mail.to_by_id[i][0] != "programs@example.org"]
    await wait_for(
        lambda: all(calls_about(phone, i) and texts_about(phone, i) for i in emergencies),
        what="every emergency called and texted",
    )
    await asyncio.sleep(1.0)  # room for a late duplicate to show up
    counts = mail.refresh()
    lost = [i for i in accepted if counts[i] == 0]
    copies = {
        "email": counts,
        "voice": Counter(i for i in emergencies for _ in calls_about(phone, i)),
        "sms": Counter(i for i in emergencies for _ in texts_about(phone, i)),
    }
    duplicated = {
        (i, channel): n - 1
        for channel, counter in copies.items()
        for i in accepted
        if (n := counter[i]) > 1
    }
    print(
        f"\nnotifier SIGKILL: accepted {len(accepted)} ({len(emergencies)} emergencies), "
        f"alerted before the kill {killed_at}, sends in flight at the kill {len(in_flight)}, "
        f"lost {len(lost)}, duplicated: "
        + ", ".join(
            f"{channel} {sum(n for (_, c), n in duplicated.items() if c == channel)}"
            for channel in copies
        )
    )
    assert not lost
    assert len(emergencies) == plan.count(EMERGENCY)
    # Redelivered work the ledger had seen through (sent, or not yet claimed)
    # never alerts twice; a send cut short by the kill goes out at most once more.
    assert set(duplicated) <= in_flight, set(duplicated) - in_flight
    assert all(n == 1 for n in duplicated.values()), duplicated
    # An email sent again carries the first one's Message-ID, which mail systems
    # drop as a duplicate: the staff member sees it once.
    assert all(len(ids) == 1 for ids in mail.message_ids.values()), mail.message_ids
    # Bounded by what one notifier has in hand: both consumers' prefetch, times
    # the deliveries each result makes (an emergency: voice, SMS and email; a
    # routine result: one team-inbox email).
    assert len(in_flight) <= 4 * 3 + 16 * 1
    assert await ledger_key_holds(database_url) == 0
