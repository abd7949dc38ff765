"""Fixtures for driving the intake's form page in a real headless Chromium.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package;
Playwright only drives that binary, it never downloads a browser.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue
from aiohttp.test_utils import TestServer

from intake.app import create_app
from intake.settings import IntakeSettings
from shared.broker import Broker
from shared.topology import TRIAGE_QUEUE

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        return "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "needs the playwright package (uv pip install playwright)"
    return None


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    reason = missing_browser()
    if reason:
        pytest.fail(reason)  # only reached in CI, where .ci/run installs the browser
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def intake_base_url(rabbitmq_url: str) -> AsyncIterator[str]:
    """The intake on a free 127.0.0.1 port, against the real broker, spool off."""
    settings = IntakeSettings(
        rabbitmq_url=rabbitmq_url,
        broker_confirm_timeout=3.0,
        intake_rate_limit_per_minute=6000.0,
        intake_rate_limit_burst=1000,
        intake_spool_dir="",
    )
    broker = Broker(settings.rabbitmq_url, confirm_timeout=settings.broker_confirm_timeout)
    server = TestServer(create_app(settings, broker), host="127.0.0.1")
    await server.start_server()
    try:
        assert await broker.wait_ready(15), "broker not ready"
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def submissions_queue(
    rabbitmq_url: str, intake_base_url: str
) -> AsyncIterator[AbstractQueue]:
    """The `triage.submissions` queue (declared by the intake), emptied for this test."""
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(TRIAGE_QUEUE, passive=True)
        await queue.purge()
        yield queue


def pytest_collection_modifyitems(items: list[Any]) -> None:
    reason = missing_browser()
    if reason is None or os.environ.get("CI") == "true":
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
