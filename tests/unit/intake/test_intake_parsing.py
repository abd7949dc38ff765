"""Body decoding per content type."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.errors import ApiError
from intake.parsing import decode_form, media_type, without_blanks

BOUNDARY = "b1"


def multipart(*parts: bytes) -> bytes:
    body = b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + BOUNDARY.encode() + b"--\r\n"


def field(name: str, value: bytes, extra: str = "") -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode()
    return head + value


def status_of(content_type: str, body: bytes) -> int:
    with pytest.raises(ApiError) as caught:
        decode_form(content_type, body)
    return caught.value.status


def test_json_object_is_returned_as_is() -> None:
    assert decode_form("application/json", b'{"name": "A", "n": 1}') == {"name": "A", "n": 1}


@pytest.mark.parametrize("body", [b"{", b"[]", b'"text"', b"\xff", b""])
def test_bad_json_is_400(body: bytes) -> None:
    assert status_of("application/json; charset=utf-8", body) == 400


def test_urlencoded_keeps_blank_values() -> None:
    body = b"name=Jos%C3%A9&phone=&message=a+b%0D%0Ac"
    assert decode_form("application/x-www-form-urlencoded", body) == {
        "name": "José",
        "phone": "",
        "message": "a b\r\nc",
    }


def test_urlencoded_invalid_utf8_is_400() -> None:
    assert status_of("application/x-www-form-urlencoded", b"name=%FF") == 400
    assert status_of("application/x-www-form-urlencoded", b"name=\xff") == 400


def test_a_repeated_field_is_422_by_name() -> None:
    with pytest.raises(ApiError) as caught:
        decode_form("application/x-www-form-urlencoded", b"name=a&name=b&email=x")
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["name"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a", "name": "b"}',
        b'{"name": "a", "na\\u006de": "b"}',
        b'{"message": "say \\"hi\\"", "name": "a", "name": "b"}',
        '{"año": "a", "año": "b"}'.encode(),
    ],
)
def test_a_repeated_json_key_is_422_however_it_is_written(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        decode_form("application/json", body)
    assert caught.value.status == 422


def test_a_key_quoted_inside_a_value_is_not_a_repeat() -> None:
    body = b'{"name": "A", "message": "my \\"name\\" is A, my \\"name\\" is A"}'
    assert decode_form("application/json", body)["name"] == "A"
    assert decode_form("application/json", b'{"name": "name"}') == {"name": "name"}


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=6))
def test_any_json_object_without_repeats_decodes_to_itself(fields: dict[str, str]) -> None:
    assert decode_form("application/json", orjson.dumps(fields)) == fields


def test_multipart_fields_keep_line_breaks_and_utf8() -> None:
    body = multipart(field("name", "Zoë".encode()), field("message", b"one\r\ntwo\r\n"))
    fields = decode_form(f"multipart/form-data; boundary={BOUNDARY}", body)
    assert fields == {"name": "Zoë", "message": "one\r\ntwo\r\n"}


def test_multipart_file_parts_are_422_naming_each_field() -> None:
    body = multipart(
        field("name", b"A"),
        field("scan", b"%PDF", '; filename="a.pdf"'),
        field("photo", b"GIF8", '; filename="b.gif"'),
    )
    with pytest.raises(ApiError) as caught:
        decode_form(f"multipart/form-data; boundary={BOUNDARY}", body)
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["scan", "photo"]


@pytest.mark.parametrize(
    "body",
    [b"garbage", multipart(b"Content-Disposition: form-data\r\n\r\nno name"), b""],
)
def test_malformed_multipart_is_400(body: bytes) -> None:
    assert status_of(f"multipart/form-data; boundary={BOUNDARY}", body) == 400


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "", "application/xml", "application/json; charset=latin-1"],
)
def test_other_types_and_charsets_are_415(content_type: str) -> None:
    assert status_of(content_type, b"{}") == 415


def test_media_type_is_lower_case_with_charset() -> None:
    assert media_type("Application/JSON; charset=UTF-8") == ("application/json", "UTF-8")


def test_blanks_and_nulls_mean_not_given() -> None:
    assert without_blanks({"a": "", "b": "  ", "c": None, "d": "x", "e": 0}) == {"d": "x", "e": 0}


@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_raise_anything_but_api_errors(body: bytes) -> None:
    for content_type in (
        "application/json",
        "application/x-www-form-urlencoded",
        f"multipart/form-data; boundary={BOUNDARY}",
    ):
        try:
            decode_form(content_type, body)
        except ApiError as exc:
            assert exc.status in (400, 422)
