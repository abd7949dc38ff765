"""A Slack-compatible chat webhook: POST {"text": ...}."""

from __future__ import annotations

import uuid

import aiohttp

from notifier.channels import DeliveryFailed
from notifier.rendering import Notice


class ChatWebhook:
    def __init__(self, session: aiohttp.ClientSession, url: str, timeout: float = 10.0) -> None:
        self._session, self._url = session, url
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        try:
            async with self._session.post(
                self._url, json={"text": notice.short}, timeout=self._timeout
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"chat: {type(exc).__name__}") from exc
        if status >= 400:
            raise DeliveryFailed(f"chat: HTTP {status}", permanent=400 <= status < 500)
        return f"chat-{uuid.uuid4().hex}"
