"""Hostile values in form fields, against a real intake process: header
injection, markup, direction overrides, NUL bytes, personal data as field
names. Each test also ends with a scan of the intake's log for every personal
value and secret it sent (see conftest)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.hostile.hostile_support import (
    ALL_TEXT,
    ENCODINGS,
    SINGLE_LINE,
    VALID,
    error_fields,
)
from tests.support.pii import Sensitive

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

LINE_BREAKS = (
    "\r\nBcc: victim@example.com",
    "\nX-Injected: yes",
    "\rSubject: spoofed",
    "\u2028next line",
    "\x85next line",
)


def encode_body(fields: dict[str, Any], encoding: str) -> dict[str, Any]:
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


# ------------------------------------------ NUL bytes, direction overrides, names


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
