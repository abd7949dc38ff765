"""Classifications per second on one core, one at a time, and the load time.

Run: uv run python bench/bench_triage.py [--seconds 5] [--no-model]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from triage.engine import Classifier, load_classifier
from triage.rules import load_rules

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "triage-dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-model", action="store_true")
    args = parser.parse_args()
    items = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]

    started = time.perf_counter()
    clf = Classifier(load_rules()) if args.no_model else load_classifier()
    load_s = time.perf_counter() - started

    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        for item in items:
            clf.classify(item["form"], item["fields"])
        done += len(items)
    elapsed = time.perf_counter() - started
    chars = sum(len(item["fields"].get("message") or "") for item in items) / len(items)
    print(f"classifier {clf.version}")
    print(f"load time:        {load_s * 1000:.0f} ms")
    print(f"classifications:  {done / elapsed:,.0f}/s on one core ({done} in {elapsed:.1f} s)")
    print(f"mean message:     {chars:.0f} characters")


if __name__ == "__main__":
    main()
