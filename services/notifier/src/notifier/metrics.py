"""Prometheus metrics of the notifier, on a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


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
        self.ledger_down = Counter(
            "notifier_ledger_unreachable_total",
            "results handled while the ledger's database was out of reach",
            ["urgency"],
            registry=self.registry,
        )
        self.receipts = Counter(
            "notifier_receipts_total",
            "provider status callbacks",
            ["status"],
            registry=self.registry,
        )
        # What the service is for: how soon staff hear of a submission. Measured
        # from the intake's clock to this one, so keep the hosts' clocks in sync.
        self.alert_latency = Histogram(
            "notifier_alert_latency_seconds",
            "seconds from the intake receiving a submission to a staff alert about it "
            "handed to the provider (sent at once; held and digest alerts not counted)",
            ["urgency", "channel"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
            registry=self.registry,
        )
