"""The names the three services' metrics are scraped under."""

from __future__ import annotations

from intake.metrics import IntakeMetrics
from notifier.metrics import Metrics as NotifierMetrics
from triage.metrics import TriageMetrics


def exposed_metrics() -> dict[str, str]:
    """Name -> type; a counter's family name gains `_total`, as when scraped."""
    registries = (IntakeMetrics().registry, TriageMetrics().registry, NotifierMetrics().registry)
    return {
        (f"{f.name}_total" if f.type == "counter" else f.name): f.type
        for registry in registries
        for f in registry.collect()
    }
