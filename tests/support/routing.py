"""The shipped routing file, with throttles raised out of the way: tests and
benchmarks that send bursts would otherwise measure the throttle."""

from __future__ import annotations

from pathlib import Path

import yaml

SHIPPED_ROUTING = (
    Path(__file__).resolve().parents[2] / "services/notifier/src/notifier/routing.yaml"
)


def burst_routing(folder: Path) -> Path:
    routing = yaml.safe_load(SHIPPED_ROUTING.read_text())
    routing["throttle"] = {
        name: {"window_minutes": 1, "limit": 1_000_000} for name in routing["throttle"]
    }
    path = folder / "routing.yaml"
    path.write_text(yaml.safe_dump(routing))
    return path
