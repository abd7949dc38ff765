"""Slow clients against a real intake process: headers or a body sent byte by
byte, a connection that sends nothing; the intake cuts them off and serves
everyone else meanwhile. Each test also ends with a scan of the intake's log
for every personal value and secret it sent (see conftest)."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from tests.hostile.hostile_support import (
    CLIENT_TIMEOUT,
    VALID,
    http_post,
    port_of,
    read_response,
)
from tests.support.pii import Sensitive

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]


async def _served_meanwhile(intake_url: str, sensitive: Sensitive) -> None:
    """A health check and a real submission are answered while a slow client waits."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        async with session.get(f"{intake_url}/healthz") as response:
            assert response.status == 200
        sensitive.add_fields(VALID["profile"])
        async with session.post(
            f"{intake_url}/v1/forms/profile", json=VALID["profile"]
        ) as response:
            assert response.status == 202, await response.text()


async def test_a_client_sending_headers_byte_by_byte_is_cut_off(
    intake_url: str, sensitive: Sensitive
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(intake_url))
    head = b"POST /v1/forms/contact HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 200
    started = time.monotonic()
    closed_after = None
    try:
        for index, byte in enumerate(head):
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except ConnectionError:
                closed_after = time.monotonic() - started
                break
            if index == 3:
                await _served_meanwhile(intake_url, sensitive)
            if reader.at_eof() or writer.is_closing():
                closed_after = time.monotonic() - started
                break
            try:
                data = await asyncio.wait_for(reader.read(1024), 0.05)
            except TimeoutError:
                continue
            if data == b"":  # the server closed the connection
                closed_after = time.monotonic() - started
                break
    finally:
        writer.close()
    assert closed_after is not None, "the slow client was never cut off"
    assert CLIENT_TIMEOUT * 0.8 <= closed_after < CLIENT_TIMEOUT + 3, closed_after


async def test_a_client_sending_its_body_byte_by_byte_gets_408(
    intake_url: str, sensitive: Sensitive
) -> None:
    body = json.dumps(VALID["contact"]).encode()
    sensitive.add_fields(VALID["contact"])
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(intake_url))
    started = time.monotonic()
    answer = None
    try:
        writer.write(
            http_post("/v1/forms/contact", b"", "application/json").replace(
                b"Content-Length: 0", b"Content-Length: %d" % len(body)
            )
        )
        for index, byte in enumerate(body):
            writer.write(bytes([byte]))
            await writer.drain()
            if index == 2:
                await _served_meanwhile(intake_url, sensitive)
            try:
                answer = await read_response(reader, within=0.1)
                break
            except TimeoutError:
                continue
            if time.monotonic() - started > CLIENT_TIMEOUT + 5:
                break
    finally:
        writer.close()
    assert answer is not None and answer.status == 408, answer
    assert CLIENT_TIMEOUT * 0.8 <= time.monotonic() - started < CLIENT_TIMEOUT + 3
    assert answer.headers.get("connection", "").lower() == "close"


async def test_an_idle_connection_that_sends_nothing_is_closed(intake_url: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(intake_url))
    try:
        async with asyncio.timeout(CLIENT_TIMEOUT + 3):
            assert await reader.read(1) == b""
    finally:
        writer.close()
