"""Prometheus metrics of the notifier, on a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.results = Counter(
            "notifier_results_total",
            "triage results handled",
            ["urgency"],
            registry=self.registry,
        )
        self.spam = Counter(
            "notifier_spam_total", "spam results: counted, never alerted", registry=self.registry
        )
        self.alerts = Counter(
            "notifier_alerts_total",
            "alert attempts by channel and outcome",
            ["channel", "status"],
            registry=self.registry,
        )
        self.retries = Counter(
            "notifier_retries_total",
            "results sent to a retry queue",
            ["queue"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "notifier_dead_letters_total",
            "results dead-lettered",
            ["queue"],
            registry=self.registry,
        )
        self.receipts = Counter(
            "notifier_receipts_total",
            "provider status callbacks",
            ["status"],
            registry=self.registry,
        )
