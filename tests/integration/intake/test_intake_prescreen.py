"""The pre-screen's stems file: the shipped list by default, an operator's own
list with INTAKE_PRESCREEN_FILE, over real HTTP and the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue

from shared.prescreen import load_prescreen
from shared.topology import TRIAGE_PRIORITY_QUEUE, TRIAGE_QUEUE, declare_topology
from tests.integration.intake.intake_support import CONTACT, MakeClient, take
from tests.support.submissions import INDIRECT_EMERGENCY
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def queues(rabbitmq_url: str) -> AsyncIterator[dict[str, AbstractQueue]]:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        await declare_topology(channel)
        found = {}
        for name in (TRIAGE_QUEUE, TRIAGE_PRIORITY_QUEUE):
            found[name] = await channel.declare_queue(name, passive=True)
            await found[name].purge()
        yield found


async def post(make_client: MakeClient, message: str, **overrides: object) -> str:
    client = await make_client(**overrides)
    response = await client.post("/v1/forms/contact", json={**CONTACT, "message": message})
    assert response.status == 202, await response.text()
    return str((await response.json())["id"])


async def test_a_danger_word_sends_the_submission_to_the_priority_queue(
    make_client: MakeClient, queues: dict[str, AbstractQueue]
) -> None:
    danger = await post(make_client, "My father fell and cannot get up")
    message, _ = await take(queues[TRIAGE_PRIORITY_QUEUE], danger)
    assert message.routing_key == "submission.contact.priority"


async def test_an_operators_stems_file_replaces_the_shipped_list(
    make_client: MakeClient, queues: dict[str, AbstractQueue], tmp_path: Path
) -> None:
    stems = tmp_path / "stems.txt"
    stems.write_text("# our own words\nstairlift (broke|stuck|stopped)\n", encoding="utf-8")
    # Stems only: triage's classifier would read the shipped example as danger too.
    client_settings = {"intake_prescreen_file": stems, "intake_prescreen_triage": False}

    ours = await post(make_client, "Our stairlift stopped with her on it", **client_settings)
    shipped = await post(make_client, "My father fell and cannot get up", **client_settings)

    await take(queues[TRIAGE_PRIORITY_QUEUE], ours)
    await take(queues[TRIAGE_QUEUE], shipped)


async def test_a_post_that_mentions_danger_has_a_rate_limit_budget_of_its_own(
    make_client: MakeClient, queues: dict[str, AbstractQueue]
) -> None:
    """A flood from a shared address (a carrier's NAT, a care home) spends the
    client's limit; a person in crisis behind the same address still gets in."""
    client = await make_client(intake_rate_limit_burst=1, intake_rate_limit_per_minute=1.0)
    routine = {**CONTACT, "message": "Do you have a newsletter?"}
    danger = {**CONTACT, "message": "My father fell and cannot get up"}
    assert (await client.post("/v1/forms/contact", json=routine)).status == 202
    assert (await client.post("/v1/forms/contact", json=routine)).status == 429
    past = await client.post("/v1/forms/contact", json=danger)
    assert past.status == 202, await past.text()
    await take(queues[TRIAGE_PRIORITY_QUEUE], (await past.json())["id"])
    # That budget is limited too: danger words do not open the door to a flood.
    assert (await client.post("/v1/forms/contact", json=danger)).status == 429
    metrics = await (await client.get("/metrics")).text()
    assert "intake_rate_limit_danger_passed_total 1.0" in metrics


async def test_a_post_that_mentions_danger_is_not_held_behind_the_routine_connection(
    make_client: MakeClient,
    queues: dict[str, AbstractQueue],
    proxy: TcpProxy,
    rabbitmq_url: str,
) -> None:
    """Publishes on one connection go out and are confirmed in order: behind a
    flood's, an emergency waited up to 1.4 s for its confirm (bench/RESULTS.md,
    sixth session). Posts that mention danger have a connection of their own."""
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), danger_url=rabbitmq_url)
    proxy.stall()  # the routine connection: nothing is confirmed on it for now
    routine = asyncio.create_task(
        client.post("/v1/forms/contact", json={**CONTACT, "message": "Do you have a newsletter?"})
    )
    danger = await client.post(
        "/v1/forms/contact", json={**CONTACT, "message": "My father fell and cannot get up"}
    )
    assert danger.status == 202, await danger.text()
    assert not routine.done()
    await take(queues[TRIAGE_PRIORITY_QUEUE], (await danger.json())["id"])
    proxy.restore()
    await routine
    metrics = await (await client.get("/metrics")).text()
    assert 'intake_publish_seconds_count{lane="danger"} 1.0' in metrics


async def test_with_its_own_connection_down_a_danger_post_takes_the_routine_one(
    make_client: MakeClient, queues: dict[str, AbstractQueue], rabbitmq_url: str
) -> None:
    nowhere = TcpProxy.to(rabbitmq_url)
    await nowhere.start()
    nowhere.cut()  # refuses every connection
    try:
        danger = await post(
            make_client,
            "My father fell and cannot get up",
            danger_url=nowhere.url(rabbitmq_url),
            wait_danger=False,
        )
        await take(queues[TRIAGE_PRIORITY_QUEUE], danger)
    finally:
        await nowhere.close()


async def test_readiness_reports_the_danger_lane_without_depending_on_it(
    make_client: MakeClient, rabbitmq_url: str
) -> None:
    nowhere = TcpProxy.to(rabbitmq_url)
    await nowhere.start()
    nowhere.cut()
    try:
        client = await make_client(danger_url=nowhere.url(rabbitmq_url), wait_danger=False)
        response = await client.get("/readyz")
        assert response.status == 200  # its posts take the routine connection meanwhile
        assert (await response.json())["danger_lane"] == "down"
        nowhere.restore()
        for _ in range(200):  # the first connect backs off up to 5 s between tries
            if (await (await client.get("/readyz")).json())["danger_lane"] == "connected":
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the danger lane never connected")
    finally:
        await nowhere.close()


INDIRECT = INDIRECT_EMERGENCY["message"]  # no danger word stem in it


async def test_a_post_the_stems_miss_but_triage_reads_as_an_emergency_takes_the_short_queue(
    make_client: MakeClient, queues: dict[str, AbstractQueue]
) -> None:
    assert not load_prescreen().mentions_danger([INDIRECT])
    await take(queues[TRIAGE_PRIORITY_QUEUE], await post(make_client, INDIRECT))


async def test_without_the_second_opinion_only_the_stems_pick_the_queue(
    make_client: MakeClient, queues: dict[str, AbstractQueue]
) -> None:
    submission = await post(make_client, INDIRECT, intake_prescreen_triage=False)
    await take(queues[TRIAGE_QUEUE], submission)


async def test_past_its_rate_limit_a_post_only_triage_reads_as_danger_has_the_danger_budget(
    make_client: MakeClient, queues: dict[str, AbstractQueue]
) -> None:
    client = await make_client(intake_rate_limit_burst=1, intake_rate_limit_per_minute=1.0)
    routine = {**CONTACT, "message": "Do you have a newsletter?"}
    assert (await client.post("/v1/forms/contact", json=routine)).status == 202
    assert (await client.post("/v1/forms/contact", json=routine)).status == 429
    past = await client.post("/v1/forms/contact", json={**CONTACT, "message": INDIRECT})
    assert past.status == 202, await past.text()
    await take(queues[TRIAGE_PRIORITY_QUEUE], (await past.json())["id"])
