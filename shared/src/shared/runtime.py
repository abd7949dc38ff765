"""Running a service's main coroutine on the fastest event loop available, the
CPU priority of the workers behind the queues, and the start-up heap kept out
of the garbage collector's way."""

from __future__ import annotations

import asyncio
import contextlib
import gc
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


def freeze_heap() -> int:
    """Collect once, then move every object alive now (modules, models, the
    classifier, settings) out of the collector's reach; how many were moved.

    Call it once, from a service's entry point, when its modules, models and
    settings are loaded and before it serves (not where the tests build parts
    in-process: the collection would walk the whole test run). Otherwise
    every full collection walks those ~70,000 objects again, in the middle of
    the traffic: 38-48 ms of CPU per service; at a steady 200/s the notifier
    stalled 48-77 ms every ~30 s, and 5-8 ms with its heap frozen
    (bench/RESULTS.md, sixth session). Objects made later are collected as
    usual; garbage cycles among the frozen ones are never freed, which the
    collection before the freeze keeps to what start-up leaves behind.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
