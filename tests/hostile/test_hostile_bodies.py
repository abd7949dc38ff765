"""Hostile bodies against a real intake process: huge, endless, deeply
nested, not an object, a field twice, numbers past any limit. Each test also
ends with a scan of the intake's log for every personal value and secret it
sent (see conftest)."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.hostile.hostile_support import (
    ENCODINGS,
    VALID,
    error_fields,
    http_post,
    multipart,
    port_of,
    raw_exchange,
    read_response,
)
from tests.support.pii import Sensitive

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

JSON_ACCEPT = {"Accept": "application/json"}

# --------------------------------------------------------------------- big bodies

TEN_MB = 10 * 1024 * 1024


async def test_a_10mb_body_with_content_length_is_413_before_it_is_sent(
    intake_url: str,
) -> None:
    """Only the headers and 64 KiB are sent: the answer comes without the
    server waiting for (or holding) the other 9.9 MB."""
    head = (
        "POST /v1/forms/contact HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {TEN_MB}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    started = time.monotonic()
    answer = await raw_exchange(port_of(intake_url), head + b'{"message": "' + b"a" * 65536)
    assert answer.status == 413, answer
    assert "larger than" in json.loads(answer.body)["errors"][0]["message"]
    assert time.monotonic() - started < 2


async def test_a_chunked_body_without_content_length_is_413_at_the_limit(
    intake_url: str,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(intake_url))
    started = time.monotonic()
    try:
        writer.write(
            b"POST /v1/forms/contact HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            b"Accept: application/json\r\n\r\n"
        )
        chunk = b"a" * 16384
        # 160 KiB of an endless body; the limit is 64 KiB.
        for _ in range(10):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        answer = await read_response(reader, within=5)
    finally:
        writer.close()
    assert answer.status == 413, answer
    assert time.monotonic() - started < 3


async def test_a_whole_10mb_post_is_answered_413_quickly(intake_url: str) -> None:
    started = time.monotonic()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session,
        session.post(
            f"{intake_url}/v1/forms/contact",
            data=b"x" * TEN_MB,
            headers={"Content-Type": "application/json", **JSON_ACCEPT},
        ) as response,
    ):
        assert response.status == 413
    assert time.monotonic() - started < 10


# ------------------------------------------------------------- odd JSON, odd forms


async def test_deeply_nested_json_is_refused_quickly(intake_url: str) -> None:
    port = port_of(intake_url)
    for depth, expected in ((30_000, 400), (100_000, 413)):
        # 100,000 levels are 200 KB, past the 64 KiB body limit, so 413 comes
        # first; under the limit the JSON parser's depth limit answers 400.
        body = b"[" * depth + b"]" * depth
        started = time.monotonic()
        answer = await raw_exchange(port, http_post("/v1/forms/contact", body, "application/json"))
        assert answer.status == expected, (depth, answer)
        assert time.monotonic() - started < 2
        nested_field = b'{"name": ' + b"[" * depth + b"]" * depth + b"}"
        answer = await raw_exchange(
            port, http_post("/v1/forms/contact", nested_field, "application/json")
        )
        assert answer.status in (400, 413), (depth, answer)


@pytest.mark.parametrize(
    "body", [b"[]", b'[{"name": "x"}]', b"42", b'"text"', b"null", b"true", b"1e999", b""]
)
async def test_a_json_body_that_is_not_an_object_is_400(intake_url: str, body: bytes) -> None:
    answer = await raw_exchange(
        port_of(intake_url), http_post("/v1/forms/contact", body, "application/json")
    )
    assert answer.status == 400, answer
    assert json.loads(answer.body)["errors"][0]["field"] is None


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_field_given_twice_is_422_naming_it(
    intake_url: str, sensitive: Sensitive, encoding: str
) -> None:
    """The same key twice is refused in every encoding, so no two readers of one
    body (a proxy, a WAF, this service) can see different values."""
    valid = VALID["contact"]
    sensitive.add_fields(valid)
    if encoding == "json":
        body = json.dumps(valid)[:-1].encode() + b', "website": "", "website": "bot"}'
        content_type = "application/json"
    elif encoding == "urlencoded":
        body = (urlencode(valid) + "&website=&website=bot").encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        parts = [
            (f'Content-Disposition: form-data; name="{k}"'.encode(), v.encode())
            for k, v in valid.items()
        ]
        parts += [(b'Content-Disposition: form-data; name="website"', b"")] * 2
        body, content_type = multipart(parts), "multipart/form-data; boundary=XyZ"
    answer = await raw_exchange(
        port_of(intake_url), http_post("/v1/forms/contact", body, content_type)
    )
    assert answer.status == 422, answer
    assert error_fields(json.loads(answer.body)) == {"website"}


@pytest.mark.parametrize(
    "value", [b"1" * 5000, b"-1e308", b"123456789012345678901234567890", b"1e400", b"1.5"]
)
async def test_huge_numbers_are_refused(intake_url: str, value: bytes) -> None:
    body = b'{"name": "Ana", "email": "ana@example.org", "phone": ' + value + b', "message": "hi"}'
    answer = await raw_exchange(
        port_of(intake_url), http_post("/v1/forms/contact", body, "application/json")
    )
    assert answer.status in (400, 422), answer
    if answer.status == 422:
        assert error_fields(json.loads(answer.body)) == {"phone"}
