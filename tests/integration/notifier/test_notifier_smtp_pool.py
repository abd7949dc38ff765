"""The SMTP session pool against a real SMTP server (aiosmtpd): sessions are
reused, bounded, and replaced when the server has dropped them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifier.channels import DeliveryFailed
from notifier.channels.email import SmtpEmail
from notifier.rendering import Notice
from tests.support.ports import free_port

NOTICE = Notice("subject", "text body", "<p>html body</p>", "short", "spoken")


@dataclass
class Sessions:
    """Records the client port of every session a message arrived on."""

    peers: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return "250 OK"


class Server:
    def __init__(self) -> None:
        self.sessions = Sessions()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.sessions, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.start()
    yield s
    s.stop()


def _email(server: Server, pool_size: int = 4) -> SmtpEmail:
    return SmtpEmail(
        host="127.0.0.1", port=server.port, sender="alerts@example.org", timeout=3.0,
        pool_size=pool_size,
    )  # fmt: skip


async def test_one_session_carries_many_emails(server: Server) -> None:
    email = _email(server)
    try:
        for _ in range(5):
            await email.send("team@example.org", NOTICE, status_callback=None)
    finally:
        await email.close()
    assert len(server.sessions.peers) == 5
    assert len(set(server.sessions.peers)) == 1


async def test_sessions_are_bounded_by_the_pool_size(server: Server) -> None:
    email = _email(server, pool_size=2)
    try:
        await asyncio.gather(
            *(email.send("team@example.org", NOTICE, status_callback=None) for _ in range(12))
        )
    finally:
        await email.close()
    assert len(server.sessions.peers) == 12
    assert len(set(server.sessions.peers)) <= 2


async def test_a_session_the_server_dropped_is_replaced(server: Server) -> None:
    email = _email(server)
    try:
        await email.send("team@example.org", NOTICE, status_callback=None)
        server.stop()  # closes every session, as a restart or an idle timeout does
        server.start()
        await asyncio.sleep(0.1)
        await email.send("team@example.org", NOTICE, status_callback=None)
    finally:
        await email.close()
    assert len(server.sessions.peers) == 2
    assert len(set(server.sessions.peers)) == 2


async def test_a_down_server_is_a_delivery_failure_and_recovery_follows(server: Server) -> None:
    email = _email(server)
    try:
        await email.send("team@example.org", NOTICE, status_callback=None)
        server.stop()
        with pytest.raises(DeliveryFailed):
            await email.send("team@example.org", NOTICE, status_callback=None)
        server.start()
        await email.send("team@example.org", NOTICE, status_callback=None)
    finally:
        await email.close()
    assert len(server.sessions.peers) == 2
