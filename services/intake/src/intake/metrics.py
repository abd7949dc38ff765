"""The intake's Prometheus metrics, in a registry owned by one app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class IntakeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "intake_http_requests_total",
            "HTTP requests answered, by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.publish_seconds = Histogram(
            "intake_publish_seconds",
            "Time from publish to broker confirm",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.failed_confirms = Counter(
            "intake_publish_failures_total",
            "Publishes the broker did not confirm (answered 503)",
            registry=self.registry,
        )
        self.honeypot = Counter(
            "intake_honeypot_tripped_total",
            "Submissions with the honeypot field filled, by form",
            ["form"],
            registry=self.registry,
        )
        self.submissions = Counter(
            "intake_submissions_accepted_total",
            "Submissions confirmed by the broker, by form",
            ["form"],
            registry=self.registry,
        )
