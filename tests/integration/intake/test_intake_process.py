"""`intake serve` as a real process: it serves, and drains on SIGTERM: /readyz
turns 503 while requests in hand, even those whose body is still on its way,
are answered 202. A bad pre-screen stems file stops it at start-up."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
import orjson
import pytest
from aio_pika.abc import AbstractQueue

from tests.integration.intake.intake_support import CONTACT, take
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(90)]


async def wait_ready(session: aiohttp.ClientSession, base: str, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"intake not ready within {within}s")


async def post_in_two_halves(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """Sends a POST's headers with `Expect: 100-continue` and waits for the
    server's go-ahead: from then on the request is in the server's hands."""
    body = orjson.dumps(CONTACT)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /v1/forms/contact HTTP/1.1\r\nHost: intake\r\n"
        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100")
    return reader, writer, body


async def start_intake(
    rabbitmq_url: str, tmp_path: Path, drain_seconds: float, **extra_env: str
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {
        **os.environ,
        "RABBITMQ_URL": rabbitmq_url,
        "INTAKE_HOST": "127.0.0.1",
        "INTAKE_PORT": str(port),
        "LOG_FORMAT": "json",
        "INTAKE_SPOOL_DIR": str(tmp_path / "spool"),
        "INTAKE_DRAIN_SECONDS": f"{drain_seconds:g}",
        **extra_env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "intake", "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return process, port


async def test_sigterm_drains_posts_whose_body_is_still_arriving_and_exits_0(
    rabbitmq_url: str, triage_queue: AbstractQueue, tmp_path: Path
) -> None:
    process, port = await start_intake(rabbitmq_url, tmp_path, drain_seconds=1)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
            await wait_ready(session, f"http://127.0.0.1:{port}", within=30)
        in_flight = [await post_in_two_halves(port) for _ in range(5)]
        process.send_signal(signal.SIGTERM)
        # Draining: the load balancer is told to move on, requests still served.
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            assert response.status == 503 and (await response.json())["draining"]
        answers = []
        for reader, writer, body in in_flight:
            writer.write(body)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            answers.append((head, orjson.loads(await reader.readexactly(length))))
            writer.close()
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert [head.split(b" ")[1] for head, _ in answers] == [b"202"] * 5
    for _, answer in answers:
        await take(triage_queue, answer["id"])
    log = stderr.decode()
    assert "ana@example.org" not in log and "Ana" not in log


async def test_a_second_sigterm_stops_without_waiting_for_the_drain(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    process, port = await start_intake(rabbitmq_url, tmp_path, drain_seconds=60)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
            await wait_ready(session, f"http://127.0.0.1:{port}", within=30)
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            for probe in ("/readyz", "/readyz?accepting"):  # draining, for a minute
                async with session.get(f"http://127.0.0.1:{port}{probe}") as response:
                    assert response.status == 503, probe
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("variable", "content", "event", "reason"),
    [
        (
            "INTAKE_PRESCREEN_FILE",
            "breath\n# falls\nfell(\n",
            "bad_prescreen_file",
            "{path}:3: not a regular expression",
        ),
        # The pre-screen's second opinion reads as triage does, from the same file.
        (
            "TRIAGE_RULES_FILE",
            "urgency: [not a rule set\n",
            "bad_rule_file",
            "{name}: file: is not valid YAML",
        ),
    ],
)
async def test_a_bad_stems_or_rule_file_stops_the_start_naming_the_file_and_reason(
    rabbitmq_url: str, tmp_path: Path, variable: str, content: str, event: str, reason: str
) -> None:
    path = tmp_path / "settings-file"
    path.write_text(content, encoding="utf-8")
    process, _ = await start_intake(
        rabbitmq_url, tmp_path, drain_seconds=0, **{variable: str(path)}
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)

    assert process.returncode == 2
    line = next(orjson.loads(x) for x in stderr.splitlines() if event.encode() in x)
    assert line["level"] == "error"
    assert reason.format(path=path, name=path.name) in line["error"]
