"""Hostile requests against a real intake process: injection, markup, huge,
slow, malformed and odd bodies. Each test also ends with a scan of the
intake's log for every personal value and secret it sent (see conftest)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest

from tests.hostile.hostile_support import (
    ALL_TEXT,
    CLIENT_TIMEOUT,
    SINGLE_LINE,
    VALID,
    Sensitive,
    error_fields,
    http_post,
    raw_exchange,
    read_response,
)

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

JSON_ACCEPT = {"Accept": "application/json"}
ENCODINGS = ("json", "urlencoded", "multipart")
LINE_BREAKS = (
    "\r\nBcc: victim@example.com",
    "\nX-Injected: yes",
    "\rSubject: spoofed",
    "\u2028next line",
    "\x85next line",
)


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def encode_body(fields: dict[str, Any], encoding: str) -> aiohttp.FormData | dict[str, Any]:
    if encoding == "json":
        return {"json": fields}
    if encoding == "urlencoded":
        return {
            "data": urlencode(fields),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        }
    form = aiohttp.FormData(default_to_multipart=True)
    for key, value in fields.items():
        form.add_field(key, value)
    return {"data": form}


async def post(
    url: str,
    form: str,
    fields: dict[str, Any],
    encoding: str = "json",
    accept: str = "application/json",
) -> tuple[int, str, str]:
    kwargs: dict[str, Any] = dict(encode_body(fields, encoding))
    headers = {"Accept": accept, **kwargs.pop("headers", {})}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
        session.post(f"{url}/v1/forms/{form}", headers=headers, **kwargs) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.text()


# ------------------------------------------------------------- header injection


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    ("form", "field"), [(f, name) for f, names in SINGLE_LINE.items() for name in names]
)
async def test_line_breaks_in_every_single_line_field_are_422_naming_it(
    intake_url: str, sensitive: Sensitive, form: str, field: str, encoding: str
) -> None:
    for injection in LINE_BREAKS:
        fields = {**VALID[form], field: VALID[form][field] + injection}
        sensitive.add_fields(fields)
        status, _, text = await post(intake_url, form, fields, encoding)
        assert status == 422, (injection, text)
        assert error_fields(json.loads(text)) == {field}, (injection, text)


# ------------------------------------------------------------------ HTML, script

SCRIPT = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
TEXTAREA_BREAKOUT = "</textarea><script>alert(3)</script>"


@pytest.mark.parametrize("form", ["contact", "profile"])
async def test_markup_in_every_field_is_escaped_when_the_form_is_shown_again(
    intake_url: str, sensitive: Sensitive, form: str
) -> None:
    """A browser post with markup everywhere (and one bad field) gets the form
    page back with its values kept: every value escaped, nothing executable."""
    fields = {name: f"Hostile {name} {SCRIPT}" for name in ALL_TEXT[form]}
    fields["message"] = f"Zebra-92 message {TEXTAREA_BREAKOUT} {SCRIPT}"
    fields[f"<script>alert('{form}')</script>"] = "unknown field with markup"
    sensitive.add_fields(fields)
    for encoding in ("urlencoded", "multipart"):
        status, content_type, page = await post(
            intake_url, form, fields, encoding, accept="text/html"
        )
        assert status == 422 and content_type.startswith("text/html"), page
        assert "<script>alert" not in page and "<img" not in page, page
        assert "</textarea><script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # kept, escaped
        assert "&lt;/textarea&gt;&lt;script&gt;alert(3)" in page
        assert "&lt;script&gt;alert(&#x27;" in page  # the unknown field's name, escaped


async def test_markup_in_a_json_post_comes_back_as_json_only(
    intake_url: str, sensitive: Sensitive
) -> None:
    fields = {**VALID["contact"], "email": SCRIPT, "subject": SCRIPT}
    sensitive.add_fields(fields)
    status, content_type, text = await post(intake_url, "contact", fields)
    assert status == 422 and content_type.startswith("application/json")
    assert error_fields(json.loads(text)) == {"email"}


async def test_markup_is_accepted_as_text_in_a_valid_submission(
    intake_url: str, sensitive: Sensitive
) -> None:
    """Markup is not an error (people paste odd text); it is escaped on output
    (the notifier's email; see the whole-stack test)."""
    fields = {**VALID["contact"], "name": "Robert <b>Tables</b>", "message": SCRIPT * 3}
    sensitive.add_fields(fields)
    status, _, text = await post(intake_url, "contact", fields)
    assert status == 202, text


async def test_the_form_page_has_no_inline_script_and_a_strict_csp(intake_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{intake_url}/") as response:
        page = await response.text()
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    # Every script is an external file; no inline handler attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\son[a-z]+=", page)


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


# -------------------------------------------------------------------- slow clients


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


# ------------------------------------------------------------- malformed encodings

BAD_UTF8 = b"Jos\xe9 \xff\xfe"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"name": "' + BAD_UTF8 + b'", "email": "a@example.org"}'),
        ("application/json", b'{"' + BAD_UTF8 + b'": "x"}'),
        ("application/x-www-form-urlencoded", b"name=" + BAD_UTF8 + b"&email=a%40example.org"),
        ("application/x-www-form-urlencoded", b"name=Jos%E9%FF&email=a%40example.org"),
        ("application/x-www-form-urlencoded", b"na%FFme=x&email=a%40example.org"),
    ],
    ids=["json-value", "json-key", "urlencoded-raw", "urlencoded-escaped", "urlencoded-key"],
)
async def test_invalid_utf8_is_400_with_a_clear_message(
    intake_url: str, content_type: str, body: bytes
) -> None:
    answer = await raw_exchange(
        port_of(intake_url), http_post("/v1/forms/contact", body, content_type)
    )
    assert answer.status == 400, answer
    assert "UTF-8" in json.loads(answer.body)["errors"][0]["message"]


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"XyZ") -> bytes:
    out = b""
    for header, value in parts:
        out += b"--" + boundary + b"\r\n" + header + b"\r\n\r\n" + value + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


@pytest.mark.parametrize(
    "parts",
    [
        [(b'Content-Disposition: form-data; name="name"', BAD_UTF8)],
        [(b'Content-Disposition: form-data; name="na\xffme"', b"x")],
        [
            (
                b'Content-Disposition: form-data; name="name"\r\nContent-Transfer-Encoding: base64',
                b"/////w==",
            )
        ],
    ],
    ids=["value", "field-name", "base64-value"],
)
async def test_invalid_utf8_in_multipart_is_4xx_never_5xx(
    intake_url: str, parts: list[tuple[bytes, bytes]]
) -> None:
    answer = await raw_exchange(
        port_of(intake_url),
        http_post("/v1/forms/contact", multipart(parts), "multipart/form-data; boundary=XyZ"),
    )
    body = json.loads(answer.body)
    if answer.status == 422:
        # A field name with bad bytes: the MIME parser reads it with U+FFFD,
        # so it is an unknown field, named as it was read.
        assert {e["message"] for e in body["errors"] if "\ufffd" in (e["field"] or "")} == {
            "is not a field of this form"
        }, body
    else:
        assert answer.status == 400, answer
        assert "UTF-8" in body["errors"][0]["message"]


async def test_a_non_utf8_charset_is_415(intake_url: str) -> None:
    answer = await raw_exchange(
        port_of(intake_url),
        http_post(
            "/v1/forms/contact",
            b"name=Jos%E9",
            "application/x-www-form-urlencoded; charset=latin-1",
        ),
    )
    assert answer.status == 415, answer


# ------------------------------------------------------------------ odd JSON bodies


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


@pytest.mark.parametrize("field", ["name", "message", "phone", "email", "subject"])
async def test_nul_bytes_are_422_naming_the_field(
    intake_url: str, sensitive: Sensitive, field: str
) -> None:
    for encoding in ENCODINGS:
        fields = {**VALID["contact"], field: VALID["contact"][field] + "\x00tail"}
        sensitive.add_fields(fields)
        status, _, text = await post(intake_url, "contact", fields, encoding)
        assert status == 422, (encoding, text)
        assert error_fields(json.loads(text)) == {field}, (encoding, text)


async def test_a_nul_byte_in_a_header_or_the_path_is_400(intake_url: str) -> None:
    port = port_of(intake_url)
    body = json.dumps(VALID["contact"]).encode()
    answer = await raw_exchange(
        port, http_post("/v1/forms/contact", body, "application/json", "X-Evil: a\x00b\r\n")
    )
    assert answer.status == 400, answer
    answer = await raw_exchange(port, b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.status == 400, answer


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


BIDI = ("\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2068", "\u2069")


@pytest.mark.parametrize(
    ("form", "field"), [(f, name) for f, names in SINGLE_LINE.items() for name in names]
)
async def test_direction_overrides_in_single_line_fields_are_422(
    intake_url: str, sensitive: Sensitive, form: str, field: str
) -> None:
    """An RLO in a name or subject would reorder what staff read in an email
    subject or SMS ("Trojan source"); single-line fields refuse them."""
    for mark in BIDI:
        fields = {**VALID[form], field: f"Ana{mark}gpj.exe"}
        sensitive.add_fields(fields)
        status, _, text = await post(intake_url, form, fields)
        assert status == 422, (repr(mark), text)
        assert error_fields(json.loads(text)) == {field}


async def test_direction_overrides_in_the_message_are_kept_as_text(
    intake_url: str, sensitive: Sensitive
) -> None:
    """A message is free text (Arabic or Hebrew quotes may carry marks): it is
    accepted; the notifier strips them wherever it writes one line."""
    fields = {**VALID["contact"], "message": "Quoted: \u202ethgir ot tfel\u202c end of note"}
    sensitive.add_fields(fields)
    status, _, text = await post(intake_url, "contact", fields)
    assert status == 202, text


async def test_personal_data_sent_as_field_names_is_not_logged(
    intake_url: str, sensitive: Sensitive
) -> None:
    """Unknown field names come from the client, so they can carry an email
    address or a message; the log names only the form's own fields."""
    fields = {
        **VALID["contact"],
        "quentin.lazarus@example.com": "x",
        "My mother Philippa fell down the stairs": "y",
    }
    sensitive.add(*fields)
    status, _, text = await post(intake_url, "contact", fields)
    assert status == 422
    assert "quentin.lazarus@example.com" in error_fields(json.loads(text))
