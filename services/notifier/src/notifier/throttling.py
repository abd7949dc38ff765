"""Throttle decisions, pure: the counts come from the ledger so replicas agree."""

from __future__ import annotations

from enum import StrEnum

from notifier.routing_file import Limit
from shared.contracts import Urgency


class Flush(StrEnum):
    WAIT = "wait"
    ONE = "one"  # send the single waiting alert as it is
    BUNDLE = "bundle"  # send one message that stands for all of them


def may_send(limit: Limit | None, urgency: Urgency, sent_in_window: int) -> bool:
    """Whether an alert goes out now or waits for a bundle. Emergencies never wait."""
    if urgency is Urgency.EMERGENCY or limit is None:
        return True
    return sent_in_window < limit.limit


def flush(limit: Limit | None, sent_in_window: int, waiting: int) -> Flush:
    """What to do with alerts waiting for one recipient and channel."""
    if waiting == 0 or (limit is not None and sent_in_window >= limit.limit):
        return Flush.WAIT
    return Flush.ONE if waiting == 1 else Flush.BUNDLE
