"""A worker's CPU priority (shared.runtime.yield_cpu), each in a child process:
a process cannot take back the priority it gave up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.runtime import yield_cpu


def niceness_after(started_nicer_by: int, asked: int) -> int:
    code = (
        f"import os; from shared.runtime import yield_cpu; os.nice({started_nicer_by}); "
        f"print(yield_cpu({asked}))"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(child.stdout)


# This test run's own nice value: a child starts from it.
OWN = os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(OWN > 5, reason="the test run itself is already nicer than 5")
def test_a_worker_gives_the_cores_to_the_intake_and_the_broker_first() -> None:
    assert niceness_after(0, 5) == 5


def test_a_nicer_start_by_the_operator_is_kept() -> None:
    nicer = min(19, max(OWN, 5) + 5)
    assert niceness_after(nicer - OWN, 5) == nicer


def test_zero_leaves_the_priority_as_it_was() -> None:
    assert niceness_after(0, 0) == OWN


def test_a_sandbox_that_refuses_costs_the_priority_not_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: int) -> None:
        raise PermissionError("not here")

    monkeypatch.setattr(os, "getpriority", lambda *_: 0)
    monkeypatch.setattr(os, "setpriority", refuse)
    assert yield_cpu(5) == 0


def test_the_start_up_heap_is_collected_once_then_left_alone() -> None:
    # In a child process: a frozen heap cannot be thawed back as it was.
    code = """
import gc, weakref
from shared.runtime import freeze_heap

class Node:
    pass

kept = [Node() for _ in range(100)]
cycle = Node(); cycle.me = cycle
gone = weakref.ref(cycle); del cycle
frozen = freeze_heap()
later = [Node()]
tracked = {id(o) for o in gc.get_objects()}
print(frozen >= 100, gone() is None, id(kept) not in tracked, id(later) in tracked)
"""
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Moved out of the collector's reach: what was alive at start-up, not
    # the start-up garbage (collected first), nor anything made afterwards.
    assert child.stdout.split() == ["True"] * 4
