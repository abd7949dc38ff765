"""The intake's Prometheus metrics, in a registry owned by one app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
            "Time from publish to broker confirm, by lane (danger: posts the pre-screen"
            " flagged, over their own connection)",
            ["lane"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.failed_confirms = Counter(
            "intake_publish_failures_total",
            "Publishes the broker did not confirm (spooled, or answered 503 without a spool)",
            registry=self.registry,
        )
        self.danger_passed = Counter(
            "intake_rate_limit_danger_passed_total",
            "posts past their client's rate limit let in because they mention danger",
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
            "Submissions confirmed by the broker when posted, by form (see also spooled)",
            ["form"],
            registry=self.registry,
        )
        self.spooled = Counter(
            "intake_spooled_total",
            "Submissions accepted into the local spool (broker down or slow), by form",
            ["form"],
            registry=self.registry,
        )
        self.forwarded = Counter(
            "intake_spool_forwarded_total",
            "Spooled submissions forwarded to the broker (confirmed, file deleted)",
            registry=self.registry,
        )
        self.spool_refused = Counter(
            "intake_spool_refused_total",
            "Submissions the spool could not take (answered 503), by reason (full, unwritable)",
            ["reason"],
            registry=self.registry,
        )
        self.spool_depth = Gauge(
            "intake_spool_depth",
            "Submissions waiting in the local spool",
            registry=self.registry,
        )
        self.spool_bytes = Gauge(
            "intake_spool_bytes",
            "Bytes waiting in the local spool",
            registry=self.registry,
        )
