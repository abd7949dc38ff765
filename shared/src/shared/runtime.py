"""Running a service's main coroutine on the fastest event loop available, and
the CPU priority of the workers behind the queues."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine
from typing import Any


def run(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def yield_cpu(niceness: int) -> int:
    """Raise this process's nice value to `niceness` (never lower it: that needs
    privileges, and an operator's own `nice` wins); the value in effect.

    For the workers behind the queues (triage, notifier). When the cores run
    short, their backlog waits in RabbitMQ, in order and with a priority lane
    for danger, while a post waiting for the intake, or a publish for the
    broker, has no lane at all: an emergency then waited up to a second in
    the intake and the broker (bench/RESULTS.md, fifth session). Call it
    before any thread starts: on Linux each thread has its own nice value,
    and new threads inherit it. Containers have a CPU weight of their own
    (compose `cpu_shares`, Kubernetes requests), which this does not cross.
    """
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        # A sandbox that refuses it costs the priority, never the service.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    return os.getpriority(os.PRIO_PROCESS, 0)
