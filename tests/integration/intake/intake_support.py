"""Test data and helpers for the intake's integration tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from shared.codec import decode
from shared.contracts import Submission

Client = TestClient[Any, Any]
# Builds an intake test client; keyword arguments override IntakeSettings.
MakeClient = Callable[..., Awaitable[Client]]

CONTACT = {
    "name": "Ana Pérez",
    "email": "ana@example.org",
    "phone": "+1 555 010 2030",
    "subject": "Massage therapist",
    "message": "My husband has ALS.\nWhere can we find a lymphatic massage therapist?",
}
PROFILE = {
    "name": "Sam Lee",
    "email": "sam@example.org",
    "role": "caregiver",
    "diagnosis": "lems",
    "contact_preference": "phone",
    "phone": "555-010-9999",
    "location": "Denver, CO",
    "message": "Please call me today.",
}


def multipart(fields: dict[str, str]) -> FormData:
    form = FormData(default_to_multipart=True)
    for key, value in fields.items():
        form.add_field(key, value)
    return form


async def take(
    queue: AbstractQueue, submission_id: str | UUID, within: float = 10.0
) -> tuple[AbstractIncomingMessage, Submission]:
    """The message for one submission, acking (and skipping) any other."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message = await queue.get(fail=False, timeout=5)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        await message.ack()
        if message.message_id == str(submission_id):
            return message, decode(Submission, message.body)
    raise AssertionError(f"no message for {submission_id} within {within}s")


async def count_messages(queue: AbstractQueue) -> int:
    """Drain the queue (it was purged at the start of the test) and count."""
    count = 0
    for _ in range(1000):
        message = await queue.get(fail=False, timeout=5)
        if message is None:
            return count
        await message.ack()
        count += 1
    return count
