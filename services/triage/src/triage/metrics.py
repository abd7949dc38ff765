"""Prometheus metrics of the triage worker, on a registry of its own."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class TriageMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.classified = Counter(
            "triage_classified_total",
            "Submissions classified, by urgency and topic",
            ["urgency", "topic"],
            registry=self.registry,
        )
        self.classify_seconds = Histogram(
            "triage_classify_seconds",
            "Time to classify one submission",
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "triage_dead_lettered_total",
            "Messages moved to the dead-letter queue, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.retried = Counter(
            "triage_retried_total",
            "Messages handed back to the queue after a transient failure",
            registry=self.registry,
        )
        self.classifier_failed = Counter(
            "triage_classifier_failed_total",
            "Submissions the classifier could not read, escalated to a person",
            registry=self.registry,
        )
