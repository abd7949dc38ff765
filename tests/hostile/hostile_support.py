"""Payloads, the environment of the processes and a raw HTTP client for hostile
tests (the sensitive-value registry is tests.support.pii)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Small, so the slow-client tests finish quickly; the default is larger.
CLIENT_TIMEOUT = 1.0
CLIENT_HASH_SECRET = "hostile-client-hash-secret-5d1f0c"
# TWILIO_AUTH_TOKEN, SMTP_PASSWORD: set on every process; must never be logged.
SECRETS = ("tw-auth-token-9f8e7d6c5b4a", "smtp-password-1a2b3c4d5e6f", CLIENT_HASH_SECRET)
SECRETS_ENV = {"TWILIO_AUTH_TOKEN": SECRETS[0], "SMTP_PASSWORD": SECRETS[1]}
# What every hostile test's processes run with, on top of the shared stack set-up:
# debug logs (the most a service ever writes is scanned), slow clients cut off
# quickly, and the secrets set, so that a log scan can find them if one is written.
HOSTILE_ENV = {
    "LOG_LEVEL": "debug",
    "INTAKE_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT),
    "CLIENT_HASH_SECRET": CLIENT_HASH_SECRET,
    **SECRETS_ENV,
}

# The encodings a form may be posted in.
ENCODINGS = ("json", "urlencoded", "multipart")

CONTACT = {
    "name": "Ximena Quartz",
    "email": "ximena.quartz@example.org",
    "phone": "+1 303 555 0147",
    "subject": "Lift chair loan",
    "message": "Our lift chair broke; is there a loan closet near Boulder, Xylophone-7?",
}
PROFILE = {
    "name": "Bertrand Okonkwo",
    "email": "bertrand.okonkwo@example.net",
    "phone": "+1 720 555 0133",
    "role": "caregiver",
    "diagnosis": "als",
    "contact_preference": "phone",
    "location": "Pueblo Westward, CO",
    "message": "Please call me about respite care for my wife, Zanzibar-42.",
}
SINGLE_LINE = {
    "contact": ("name", "email", "phone", "subject"),
    "profile": ("name", "email", "phone", "location"),
}
ALL_TEXT = {
    "contact": ("name", "email", "phone", "subject", "message"),
    "profile": ("name", "email", "phone", "location", "message"),
}
VALID = {"contact": CONTACT, "profile": PROFILE}


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def read_response(reader: asyncio.StreamReader, within: float) -> RawResponse:
    async with asyncio.timeout(within):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
    return RawResponse(status, headers, body)


async def raw_exchange(port: int, data: bytes, within: float = 10.0) -> RawResponse:
    """Send bytes as they are over a fresh connection and read one answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await read_response(reader, within)
    finally:
        writer.close()


def http_post(path: str, body: bytes, content_type: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nAccept: application/json\r\n{extra}\r\n"
    ).encode() + body


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"XyZ") -> bytes:
    out = b""
    for header, value in parts:
        out += b"--" + boundary + b"\r\n" + header + b"\r\n\r\n" + value + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def error_fields(body: Any) -> set[str | None]:
    return {error["field"] for error in body["errors"]}
