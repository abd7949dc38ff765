"""What the intake records about the sender: a keyed hash, never the IP."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from intake.parsing import media_type
from shared.contracts import ClientMeta


class ClientIdentifier:
    """Derives the client hash (HMAC-SHA256 of the IP) and the request metadata."""

    def __init__(self, secret: bytes, *, trust_forwarded_for: bool) -> None:
        self._secret = secret
        self._trust_forwarded_for = trust_forwarded_for

    def client_hash(self, request: web.Request) -> str:
        address = self._address(request)
        return hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()

    def meta(self, request: web.Request, client_hash: str) -> ClientMeta:
        kind, _ = media_type(request.headers.get("Content-Type", ""))
        return ClientMeta(
            client_hash=client_hash,
            user_agent=_clip(request.headers.get("User-Agent"), 200),
            origin=_clip(request.headers.get("Origin"), 200),
            content_type=_clip(kind, 100),
        )

    def _address(self, request: web.Request) -> str:
        if self._trust_forwarded_for:
            # The rightmost entry is the one our own (trusted) proxy appended;
            # entries to its left are whatever the client chose to send.
            forwarded = request.headers.get("X-Forwarded-For", "")
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            if hops:
                return hops[-1]
        return request.remote or "unknown"


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None
