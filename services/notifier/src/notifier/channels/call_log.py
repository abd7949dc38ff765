"""Without Twilio, texts and calls are appended to a JSON-lines file, so the
stack runs locally and a developer can see what would have rung."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from notifier.channels import DeliveryFailed
from notifier.channels.twilio import twiml
from notifier.rendering import Notice


class CallLog:
    def __init__(self, path: Path, kind: str) -> None:
        self._path, self._kind = path, kind
        self._lock = asyncio.Lock()

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        sid = f"log-{uuid.uuid4().hex}"
        entry = {
            "sid": sid,
            "kind": self._kind,
            "to": address,
            "at": datetime.now(UTC).isoformat(),
            "body": notice.short if self._kind == "sms" else twiml(notice),
        }
        line = orjson.dumps(entry) + b"\n"
        try:
            async with self._lock:
                await asyncio.to_thread(self._append, line)
        except OSError as exc:
            raise DeliveryFailed(f"call log: {exc.strerror}") from exc
        return sid

    def _append(self, line: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("ab") as handle:
            handle.write(line)
