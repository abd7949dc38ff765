"""The local durable spool: accepting while the broker is away, forwarding after."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue
from aiohttp.test_utils import TestClient

from shared.topology import TRIAGE_PRIORITY_QUEUE
from tests.integration.intake.intake_support import (
    CONTACT,
    PROFILE,
    MakeClient,
    count_messages,
    take,
)
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

Client = TestClient[Any, Any]


async def readiness(client: Client) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status, await response.json()


async def wait_broker_down(client: Client, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await readiness(client))[0] == 503:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the broker never went down")


async def wait_spool_empty(folder: Path, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not spooled(folder):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"spool not forwarded within {within}s: {spooled(folder)}")


def spooled(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.json"))


async def test_broker_down_spools_with_202_then_forwards_in_order(
    make_client: MakeClient,
    proxy: TcpProxy,
    rabbitmq_url: str,
    triage_queue: AbstractQueue,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(folder))
    proxy.cut()
    await wait_broker_down(client)

    ids = []
    for body in (CONTACT, PROFILE, {**CONTACT, "name": "Third"}):
        form = "profile" if body is PROFILE else "contact"
        response = await client.post(f"/v1/forms/{form}", json=body)
        assert response.status == 202, await response.text()
        ids.append((await response.json())["id"])
    files = spooled(folder)
    assert len(files) == 3
    assert [name.split("-", 2)[2].removesuffix(".json") for name in files] == ids
    status, ready = await readiness(client)
    assert status == 503
    assert ready["spool"] == {
        "enabled": True,
        "writable": True,
        "depth": 3,
        "bytes": sum((folder / name).stat().st_size for name in files),
    }
    assert ready["accepting"] is True
    assert (await client.get("/readyz?accepting")).status == 200
    metrics = await (await client.get("/metrics")).text()
    assert 'intake_spooled_total{form="contact"} 2.0' in metrics
    assert "intake_spool_depth 3.0" in metrics

    proxy.restore()
    await wait_spool_empty(folder)
    forwarded = []
    for _ in ids:
        message = await triage_queue.get(timeout=5)
        await message.ack()
        forwarded.append(message.message_id)
    assert forwarded == ids, "forwarded oldest first"
    assert await count_messages(triage_queue) == 0
    metrics = await (await client.get("/metrics")).text()
    assert "intake_spool_forwarded_total 3.0" in metrics
    assert "intake_spool_depth 0.0" in metrics
    assert (await readiness(client))[1]["spool"]["depth"] == 0


async def test_while_the_spool_drains_new_posts_queue_behind_it(
    make_client: MakeClient,
    proxy: TcpProxy,
    rabbitmq_url: str,
    triage_queue: AbstractQueue,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(folder))
    proxy.cut()
    await wait_broker_down(client)
    first = await client.post("/v1/forms/contact", json=CONTACT)
    assert first.status == 202
    proxy.restore()
    second = await client.post("/v1/forms/contact", json=CONTACT)
    assert second.status == 202
    await wait_spool_empty(folder)
    ids = [(await first.json())["id"], (await second.json())["id"]]
    got = []
    for _ in ids:
        message = await triage_queue.get(timeout=5)
        await message.ack()
        got.append(message.message_id)
    assert got == ids


async def test_while_routine_posts_wait_in_the_spool_one_that_mentions_danger_goes_out_at_once(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    """A post that mentions danger does not queue behind the spool (after an
    outage that spooled a flood, 2,000 routine files held one back 7.8 s)."""
    folder = tmp_path / "spool"
    client = await make_client(
        rabbitmq_url=proxy.url(rabbitmq_url),
        danger_url=rabbitmq_url,
        intake_spool_dir=str(folder),
    )
    proxy.cut()  # the routine connection: its posts wait in the spool
    await wait_broker_down(client)
    assert (await client.post("/v1/forms/contact", json=CONTACT)).status == 202
    danger = await client.post(
        "/v1/forms/contact", json={**CONTACT, "message": "My father fell and cannot get up"}
    )
    assert danger.status == 202
    assert len(spooled(folder)) == 1
    async with await aio_pika.connect(rabbitmq_url) as connection:
        channel = await connection.channel()
        priority = await channel.declare_queue(TRIAGE_PRIORITY_QUEUE, passive=True)
        await take(priority, (await danger.json())["id"])
    proxy.restore()
    await wait_spool_empty(folder)


async def test_a_full_spool_answers_503_with_retry_after(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    client = await make_client(
        rabbitmq_url=proxy.url(rabbitmq_url),
        intake_spool_dir=str(folder),
        intake_spool_max_files=2,
    )
    proxy.cut()
    await wait_broker_down(client)
    statuses = [(await client.post("/v1/forms/contact", json=CONTACT)).status for _ in range(2)]
    assert statuses == [202, 202]
    full = await client.post("/v1/forms/contact", json=CONTACT)
    assert full.status == 503
    assert int(full.headers["Retry-After"]) >= 1
    assert (await full.json())["errors"][0]["field"] is None
    assert len(spooled(folder)) == 2
    metrics = await (await client.get("/metrics")).text()
    assert 'intake_spool_refused_total{reason="full"} 1.0' in metrics


async def test_a_spool_full_for_routine_posts_still_takes_one_that_mentions_danger(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    client = await make_client(
        rabbitmq_url=proxy.url(rabbitmq_url),
        intake_spool_dir=str(tmp_path / "spool"),
        intake_spool_max_files=10,  # the last tenth is kept for danger (the default)
    )
    proxy.cut()
    await wait_broker_down(client)
    statuses = [(await client.post("/v1/forms/contact", json=CONTACT)).status for _ in range(10)]
    assert statuses == [202] * 9 + [503]
    danger = {**CONTACT, "message": "My wife fell and she cannot breathe"}
    assert (await client.post("/v1/forms/contact", json=danger)).status == 202


async def test_a_spool_over_its_byte_limit_answers_503(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    client = await make_client(
        rabbitmq_url=proxy.url(rabbitmq_url),
        intake_spool_dir=str(tmp_path / "spool"),
        intake_spool_max_bytes=100,
    )
    proxy.cut()
    await wait_broker_down(client)
    response = await client.post("/v1/forms/contact", json=CONTACT)
    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1


async def test_an_unwritable_spool_answers_503(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    # A file where the folder should be: unwritable even for root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    client = await make_client(
        rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(blocker / "spool")
    )
    proxy.cut()
    await wait_broker_down(client)
    response = await client.post("/v1/forms/contact", json=CONTACT)
    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1
    status, ready = await readiness(client)
    assert status == 503
    assert ready["spool"]["writable"] is False
    assert ready["accepting"] is False
    metrics = await (await client.get("/metrics")).text()
    assert 'intake_spool_refused_total{reason="unwritable"} 1.0' in metrics


async def test_a_spool_folder_removed_while_running_answers_503(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(folder))
    proxy.cut()
    await wait_broker_down(client)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("")  # and a file in its place
    response = await client.post("/v1/forms/contact", json=CONTACT)
    assert response.status == 503


async def test_a_restart_forwards_what_the_last_run_spooled(
    make_client: MakeClient,
    proxy: TcpProxy,
    rabbitmq_url: str,
    triage_queue: AbstractQueue,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    first_run = await make_client(
        rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(folder)
    )
    proxy.cut()
    await wait_broker_down(first_run)
    ids = []
    for _ in range(2):
        response = await first_run.post("/v1/forms/contact", json=CONTACT)
        assert response.status == 202
        ids.append((await response.json())["id"])
    await first_run.close()  # the process stops with the broker still down
    assert len(spooled(folder)) == 2
    # A half-written file from a crash was never acknowledged: it is dropped.
    (folder / "00000000000000000000-00000000-crashed.tmp").write_bytes(b"{")

    second_run = await make_client(rabbitmq_url=rabbitmq_url, intake_spool_dir=str(folder))
    await wait_spool_empty(folder)
    assert not list(folder.glob("*.tmp"))
    for submission_id in ids:
        _, submission = await take(triage_queue, submission_id)
        assert submission.fields.name == CONTACT["name"]
    metrics = await (await second_run.get("/metrics")).text()
    assert "intake_spool_forwarded_total 2.0" in metrics


async def test_one_spool_folder_serves_one_instance(
    make_client: MakeClient, proxy: TcpProxy, rabbitmq_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    await make_client(intake_spool_dir=str(folder))
    second = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(folder))
    proxy.cut()
    await wait_broker_down(second)
    assert (await client_post(second)).status == 503
    assert (await readiness(second))[1]["spool"]["writable"] is False


async def client_post(client: Client) -> Any:
    return await client.post("/v1/forms/contact", json=CONTACT)


async def test_an_unreadable_file_is_set_aside_and_the_rest_forwarded(
    make_client: MakeClient,
    proxy: TcpProxy,
    rabbitmq_url: str,
    triage_queue: AbstractQueue,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    (folder / "00000000000000000001-00000000-broken.json").write_bytes(b"not json")
    client = await make_client(rabbitmq_url=proxy.url(rabbitmq_url), intake_spool_dir=str(folder))
    proxy.cut()
    await wait_broker_down(client)
    response = await client.post("/v1/forms/contact", json=CONTACT)
    assert response.status == 202
    proxy.restore()
    await wait_spool_empty(folder)
    await take(triage_queue, (await response.json())["id"])
    assert [p.name for p in folder.glob("*.bad")] == ["00000000000000000001-00000000-broken.bad"]
