"""Classifications per second on one core, one at a time, the load time and accuracy.

Runs the classifier with the shipped model and rules-only in the same run,
and prints the dev-file accuracy of each next to its speed (a speed-up that
costs accuracy is not one).

Run: uv run python bench/bench_triage.py [--seconds 5] [--data FILE ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from shared.contracts import Urgency
from triage.engine import Classifier, load_classifier
from triage.evaluation import Outcome, Report
from triage.rules import load_rules

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
DEV = DATA / "triage-dev.jsonl"


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _speed(clf: Classifier, items: list[dict[str, Any]], seconds: float) -> tuple[float, float]:
    """Median and best per-pass rate over repeated passes through `items`."""
    rates: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        started = time.perf_counter()
        for item in items:
            clf.classify(item["form"], item["fields"])
        rates.append(len(items) / (time.perf_counter() - started))
    return statistics.median(rates), max(rates)


def _report(clf: Classifier, items: list[dict[str, Any]]) -> Report:
    report = Report()
    for item in items:
        v = clf.classify(item["form"], item["fields"])
        truth, topics = Urgency(item["urgency"]), tuple(item["topics"])
        report.outcomes.append(Outcome(truth, v.urgency, topics, v.topic.value, item["lang"]))
    return report


def _summary(report: Report) -> str:
    p, _, _ = report.per_class()[Urgency.EMERGENCY]
    return (
        f"macro-F1 {report.macro_f1():.3f}  topic {report.topic_accuracy():.3f}  "
        f"emergency R en/es {report.emergency_recall('en'):.2f}/"
        f"{report.emergency_recall('es'):.2f} P {p:.2f}  "
        f"E+U recall {report.urgent_or_worse_recall():.3f}  "
        f"spam errors {report.real_requests_as_spam()}/{report.spam_above_low()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per configuration")
    parser.add_argument("--data", type=Path, nargs="*", help="labeled files to score")
    args = parser.parse_args()
    items = _read(DEV)
    labeled = [DEV, *(DATA / f"triage-{name}.jsonl" for name in ("extra", "crisis", "blind"))]
    scored = args.data or [p for p in labeled if p.exists()]
    chars = sum(len(item["fields"].get("message") or "") for item in items) / len(items)
    print(f"{len(items)} dev messages, mean {chars:.0f} characters; one core, one at a time")

    for label in ("with model", "rules only"):
        started = time.perf_counter()
        clf = load_classifier() if label == "with model" else Classifier(load_rules())
        load_s = time.perf_counter() - started
        median, best = _speed(clf, items, args.seconds)
        print(f"\n{label}: {clf.version}")
        print(f"  load time        {load_s * 1000:.0f} ms")
        print(f"  classifications  {median:,.0f}/s median pass, {best:,.0f}/s best pass")
        for path in scored:
            print(f"  {path.name:<20} {_summary(_report(clf, _read(path)))}")


if __name__ == "__main__":
    main()
