"""`intake serve` as a real process: it serves, and drains on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
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


async def test_sigterm_drains_in_flight_posts_and_exits_0(
    rabbitmq_url: str, triage_queue: AbstractQueue, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RABBITMQ_URL": rabbitmq_url,
        "INTAKE_HOST": "127.0.0.1",
        "INTAKE_PORT": str(port),
        "LOG_FORMAT": "json",
        "INTAKE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "intake", "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
            await wait_ready(session, base, within=30)
            posts = [
                asyncio.create_task(session.post(f"{base}/v1/forms/contact", json=CONTACT))
                for _ in range(5)
            ]
            await asyncio.sleep(0.01)
            process.send_signal(signal.SIGTERM)
            responses = await asyncio.gather(*posts, return_exceptions=True)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    accepted = [r for r in responses if isinstance(r, aiohttp.ClientResponse) and r.status == 202]
    assert accepted, responses
    for response in accepted:
        await take(triage_queue, (await response.json())["id"])
    log = stderr.decode()
    assert "ana@example.org" not in log and "Ana" not in log
