"""Turning a request body into raw form fields, per content type.

The result is a flat mapping of field name to value, not yet validated: the
form models decide what is valid. Whole-request problems (bad JSON, bad
encoding, an unsupported type) raise `ApiError` here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from urllib.parse import parse_qsl

import orjson

from intake.errors import ApiError, FieldError

JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
ACCEPTED_TYPES = (JSON, URLENCODED, MULTIPART)

RawFields = dict[str, object]


@functools.lru_cache(maxsize=256)
def media_type(content_type_header: str) -> tuple[str, str | None]:
    """The lower-case media type and its charset parameter, if any.

    Cached: parsing with email.message costs a few percent of a request and
    clients send the same few header values.
    """
    header = Message()
    header["Content-Type"] = content_type_header or "application/octet-stream"
    charset = header.get_param("charset")
    return header.get_content_type(), charset if isinstance(charset, str) else None


def decode_form(content_type_header: str, body: bytes) -> RawFields:
    kind, charset = media_type(content_type_header)
    if kind not in ACCEPTED_TYPES:
        raise ApiError.whole(415, f"content type must be one of: {', '.join(ACCEPTED_TYPES)}")
    if charset is not None and charset.lower().replace("-", "") not in ("utf8", "usascii"):
        raise ApiError.whole(415, "charset must be utf-8")
    if kind == JSON:
        return _json(body)
    if kind == URLENCODED:
        return _urlencoded(body)
    return _multipart(content_type_header, body)


def without_blanks(fields: RawFields) -> RawFields:
    """Drop empty values: a browser posts an untouched optional field as ""."""
    return {
        key: value
        for key, value in fields.items()
        if value is not None and not (isinstance(value, str) and not value.strip())
    }


def _json(body: bytes) -> RawFields:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson also rejects invalid UTF-8 here.
        raise ApiError.whole(400, "body is not valid JSON (UTF-8)") from None
    if not isinstance(value, dict):
        raise ApiError.whole(400, "body must be a JSON object")
    if any(isinstance(item, dict | list) for item in value.values()):
        # Not a form (every field is a string): the form model refuses it.
        return value
    if _keys_appear_once(body, value):
        return value
    # orjson keeps the last of a repeated key silently; refuse it as the other
    # encodings do, so no two readers of one body see different values. The
    # object is flat here, so the stdlib parser cannot recurse deeply.
    pairs: list[tuple[str, object]] = json.loads(body, object_pairs_hook=list)
    return _unique(pairs)


def _keys_appear_once(body: bytes, value: dict[str, object]) -> bool:
    """A cheap proof that no key is repeated (a second full parse costs more
    than the rest of the decoding).

    Without a backslash in the body every key is written literally, so a
    repeated key would appear twice as `"key"`. Otherwise (escapes, or the
    text also appears inside a value) the caller parses again to be sure.
    """
    if b"\\" in body:
        return False
    return all(body.count(orjson.dumps(key)) == 1 for key in value)


def _urlencoded(body: bytes) -> RawFields:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ApiError.whole(400, "body is not valid UTF-8 form data") from None
    return _unique(pairs)


def _multipart(content_type_header: str, body: bytes) -> RawFields:
    # A 64 KiB body parsed in memory: the stdlib MIME parser is enough and
    # keeps this function pure.
    head = f"Content-Type: {content_type_header}\r\n\r\n".encode("latin-1", "replace")
    message = message_from_bytes(head + body, policy=email_policy.HTTP)
    if not message.is_multipart() or message.defects:
        raise ApiError.whole(400, "body is not valid multipart/form-data")
    pairs: list[tuple[str, str]] = []
    files: list[FieldError] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ApiError.whole(400, "a multipart part has no field name")
        if part.get_filename() is not None:
            files.append(FieldError(field=name, message="file uploads are not accepted"))
            continue
        pairs.append((name, _part_text(part)))
    if files:
        raise ApiError(422, files)
    return _unique(pairs)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError.whole(400, "a multipart field is not valid UTF-8") from None


def _unique(pairs: Iterable[tuple[str, object]]) -> RawFields:
    fields: RawFields = {}
    repeated: list[str] = []
    for key, value in pairs:
        if key in fields and key not in repeated:
            repeated.append(key)
        fields[key] = value
    if repeated:
        raise ApiError(
            422, [FieldError(field=k, message="was given more than once") for k in repeated]
        )
    return fields
