"""The RabbitMQ topology, declared in one place and used by every service.

    intake --submission.<form>--> [inquiry.submissions] --> triage.submissions --> triage
           --submission.<form>.priority-->             --> triage.priority    --> triage
    triage --triaged.<urgency>--> [inquiry.triaged] --+--> notifier.emergency   (emergency only)
                                                      +--> notifier.results     (the rest)
    any work queue --reject / delivery limit--> [inquiry.dead-letter] --> <queue>.dead
    notifier.retry.<n> (TTL) --expire--> back to its work queue (exponential backoff)

Work queues are durable quorum queues with a delivery limit, so a message
that keeps failing is dead-lettered instead of looping forever. Dead-lettering
is at-least-once (it needs `reject-publish` overflow), so no dead letter is
lost between the two queues. Everything here works on RabbitMQ 3.10 and 4.x.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

SUBMISSIONS_EXCHANGE = "inquiry.submissions"
RESULTS_EXCHANGE = "inquiry.triaged"
DEAD_LETTER_EXCHANGE = "inquiry.dead-letter"

TRIAGE_QUEUE = "triage.submissions"
# Submissions the intake's pre-screen (shared.prescreen) saw danger words in:
# the same work, in a queue a flood of routine and spam never fills.
TRIAGE_PRIORITY_QUEUE = "triage.priority"
PRIORITY_SUFFIX = ".priority"
NOTIFIER_EMERGENCY_QUEUE = "notifier.emergency"
NOTIFIER_RESULTS_QUEUE = "notifier.results"

# Seconds each retry waits, one delay queue per step.
NOTIFIER_RETRY_DELAYS = (5, 30, 120, 600, 1800)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    bindings: tuple[tuple[str, str], ...] = ()
    delivery_limit: int | None = 10
    message_ttl_ms: int | None = None
    # Where expired or rejected messages go: by default the dead-letter queue.
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE
    dead_letter_routing_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dead"

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": self.dead_letter_routing_key or self.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            **self.extra,
        }
        if self.delivery_limit is not None:
            args["x-delivery-limit"] = self.delivery_limit
        if self.message_ttl_ms is not None:
            args["x-message-ttl"] = self.message_ttl_ms
        return args


def retry_queue_name(queue: str, step: int) -> str:
    return f"{queue}.retry.{step}"


def _retry_specs(target: str) -> tuple[QueueSpec, ...]:
    # An expired message goes back to its work queue through the default
    # exchange, which routes by queue name.
    return tuple(
        QueueSpec(
            name=retry_queue_name(target, step),
            delivery_limit=None,
            message_ttl_ms=delay * 1000,
            dead_letter_exchange="",
            dead_letter_routing_key=target,
        )
        for step, delay in enumerate(NOTIFIER_RETRY_DELAYS)
    )


WORK_QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(TRIAGE_QUEUE, bindings=((SUBMISSIONS_EXCHANGE, "submission.*"),), delivery_limit=5),
    # `submission.<form>.priority` has three words, so `submission.*` above never
    # matches it: each submission lands in exactly one of the two queues.
    QueueSpec(
        TRIAGE_PRIORITY_QUEUE,
        bindings=((SUBMISSIONS_EXCHANGE, "submission.*.priority"),),
        delivery_limit=5,
    ),
    QueueSpec(
        NOTIFIER_EMERGENCY_QUEUE,
        bindings=((RESULTS_EXCHANGE, "triaged.emergency"),),
    ),
    QueueSpec(
        NOTIFIER_RESULTS_QUEUE,
        bindings=(
            (RESULTS_EXCHANGE, "triaged.urgent"),
            (RESULTS_EXCHANGE, "triaged.routine"),
            (RESULTS_EXCHANGE, "triaged.low"),
        ),
    ),
)
RETRY_QUEUES: tuple[QueueSpec, ...] = (
    *_retry_specs(NOTIFIER_EMERGENCY_QUEUE),
    *_retry_specs(NOTIFIER_RESULTS_QUEUE),
)
EXCHANGES: tuple[tuple[str, aio_pika.ExchangeType], ...] = (
    (SUBMISSIONS_EXCHANGE, aio_pika.ExchangeType.TOPIC),
    (RESULTS_EXCHANGE, aio_pika.ExchangeType.TOPIC),
    (DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT),
)


def queue_spec(name: str) -> QueueSpec:
    for spec in (*WORK_QUEUES, *RETRY_QUEUES):
        if spec.name == name:
            return spec
    raise KeyError(name)


async def declare_topology(channel: AbstractChannel) -> dict[str, AbstractExchange]:
    """Declare every exchange and queue; idempotent, so each service calls it."""
    exchanges = {
        name: await channel.declare_exchange(name, kind, durable=True) for name, kind in EXCHANGES
    }
    dlx = exchanges[DEAD_LETTER_EXCHANGE]
    for spec in WORK_QUEUES:
        queue = await _declare(channel, spec)
        for exchange, key in spec.bindings:
            await queue.bind(exchanges[exchange], key)
        dead = await channel.declare_queue(
            spec.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead.bind(dlx, spec.name)
    for spec in RETRY_QUEUES:
        await _declare(channel, spec)
    return exchanges


async def _declare(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    return await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments())
