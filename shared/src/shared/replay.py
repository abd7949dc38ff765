"""Replaying a dead-letter queue: move each message back to the queue it
died in, once the cause is fixed.

    uv run python -m shared.replay triage.submissions [--limit N] [--dry-run]

Each message is republished (persistent, confirmed) to its work queue, then
acked in the dead-letter queue, so a crash mid-replay loses nothing (at worst
one message is replayed twice, and every consumer dedupes by submission id).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import aio_pika

from shared.settings import DEFAULT_RABBITMQ_URL
from shared.topology import WORK_QUEUES

_STRIP = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-delivery-count",
)


async def replay(url: str, queue: str, limit: int, dry_run: bool) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        if dry_run:
            # Counting, not reading: a read-and-requeue would bump each
            # message's delivery count on a quorum queue.
            declared = await channel.declare_queue(f"{queue}.dead", passive=True)
            return min(limit, declared.declaration_result.message_count or 0)
        dead = await channel.get_queue(f"{queue}.dead", ensure=True)
        moved = 0
        while moved < limit:
            message = await dead.get(fail=False, no_ack=False)
            if message is None:
                break
            reason = (message.headers or {}).get("x-dead-letter-reason", "")
            if isinstance(reason, bytes):
                reason = reason.decode(errors="replace")
            print(f"{message.message_id or '-'}\t{reason}")
            headers = {k: v for k, v in (message.headers or {}).items() if k not in _STRIP}
            copy = aio_pika.Message(
                message.body,
                headers=headers,
                message_id=message.message_id,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await channel.default_exchange.publish(copy, routing_key=queue)
            await message.ack()
            moved += 1
        return moved


def main(argv: list[str] | None = None) -> int:
    queues = [spec.name for spec in WORK_QUEUES]
    parser = argparse.ArgumentParser(prog="python -m shared.replay", description=__doc__)
    parser.add_argument("queue", choices=queues, help="the work queue whose dead letters to replay")
    parser.add_argument("--limit", type=int, default=1_000_000, help="replay at most N messages")
    parser.add_argument("--dry-run", action="store_true", help="count, move nothing")
    args = parser.parse_args(argv)
    url = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    moved = asyncio.run(replay(url, args.queue, args.limit, args.dry_run))
    print(f"{'would replay' if args.dry_run else 'replayed'} {moved} message(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
