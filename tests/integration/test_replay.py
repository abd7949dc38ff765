"""Replaying dead letters puts them back in their work queue, reason dropped."""

from __future__ import annotations

import aio_pika
import pytest

from shared.broker import DEAD_LETTER_REASON
from shared.replay import replay
from shared.topology import DEAD_LETTER_EXCHANGE, TRIAGE_QUEUE, declare_topology

pytestmark = pytest.mark.integration


async def test_replay_moves_every_dead_letter_back_once(isolated_rabbitmq_url: str) -> None:
    connection = await aio_pika.connect(isolated_rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchanges = await declare_topology(channel)
        for n in range(3):
            await exchanges[DEAD_LETTER_EXCHANGE].publish(
                aio_pika.Message(b"{}", message_id=f"m{n}", headers={DEAD_LETTER_REASON: "x"}),
                routing_key=TRIAGE_QUEUE,
            )
        assert await replay(isolated_rabbitmq_url, TRIAGE_QUEUE, 10, dry_run=True) == 3
        assert await replay(isolated_rabbitmq_url, TRIAGE_QUEUE, 10, dry_run=False) == 3
        work = await channel.get_queue(TRIAGE_QUEUE)
        ids = []
        while (message := await work.get(fail=False)) is not None:
            ids.append(message.message_id)
            await message.ack()
        dead = await channel.declare_queue(f"{TRIAGE_QUEUE}.dead", passive=True)
    assert sorted(ids) == ["m0", "m1", "m2"]
    assert dead.declaration_result.message_count == 0
