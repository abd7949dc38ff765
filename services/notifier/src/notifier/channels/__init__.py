"""Delivery channels: each module adapts one provider to the `Sender` interface.

A new channel is one new module plus one line in bootstrap's registry.
"""

from __future__ import annotations

from typing import Protocol

from notifier.rendering import Notice


class DeliveryFailed(Exception):
    """The provider did not take the message. `permanent`: retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        """Hand the notice to the provider; return the provider's id for it."""
        ...
