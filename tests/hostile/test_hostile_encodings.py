"""Malformed encodings against a real intake process: invalid UTF-8 in every
encoding, a charset other than UTF-8, NUL bytes in a header or the path. Each
test also ends with a scan of the intake's log for every personal value and
secret it sent (see conftest)."""

from __future__ import annotations

import json

import pytest

from tests.hostile.hostile_support import VALID, http_post, multipart, port_of, raw_exchange

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

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


async def test_a_nul_byte_in_a_header_or_the_path_is_400(intake_url: str) -> None:
    port = port_of(intake_url)
    body = json.dumps(VALID["contact"]).encode()
    answer = await raw_exchange(
        port, http_post("/v1/forms/contact", body, "application/json", "X-Evil: a\x00b\r\n")
    )
    assert answer.status == 400, answer
    answer = await raw_exchange(port, b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.status == 400, answer
