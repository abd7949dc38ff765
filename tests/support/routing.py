"""The shipped routing file with its throttles out of the way: tests and
benchmarks that send bursts would otherwise measure the throttle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SHIPPED_ROUTING = (
    Path(__file__).resolve().parents[2] / "services/notifier/src/notifier/routing.yaml"
)


def burst_routing(folder: Path) -> Path:
    """Throttles raised past any burst a test sends (the throttle code still runs)."""
    return _shipped_with(
        folder, lambda names: {n: {"window_minutes": 1, "limit": 1_000_000} for n in names}
    )


def unthrottled_routing(folder: Path) -> Path:
    """No throttles: a benchmark sends every alert. (Raised limits would have
    each email count its recipient's whole window in the ledger, ~12,000 rows
    at 200/s, a cost no real limit has; the shipped limit of 30 reads 30 rows.)"""
    return _shipped_with(folder, lambda names: {})


def _shipped_with(folder: Path, throttle: Any) -> Path:
    routing = yaml.safe_load(SHIPPED_ROUTING.read_text())
    routing["throttle"] = throttle(routing["throttle"])
    path = folder / "routing.yaml"
    path.write_text(yaml.safe_dump(routing))
    return path
