"""Summarise a py-spy speedscope profile: top functions by self and by total time.

Run: uv run python bench/profile_summary.py FILE.speedscope.json [--top 30] [--match TEXT]
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only frames whose file contains this")
    args = parser.parse_args()
    data = json.loads(args.file.read_text())
    frames = data["shared"]["frames"]
    names = [f"{f['name']} ({Path(f.get('file', '')).name}:{f.get('line', 0)})" for f in frames]
    selfs: collections.Counter[str] = collections.Counter()
    totals: collections.Counter[str] = collections.Counter()
    count = 0
    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if not stack:
                continue
            count += weight
            selfs[names[stack[-1]]] += weight
            for name in {names[i] for i in stack if args.match in frames[i].get("file", "")}:
                totals[name] += weight
    print(f"{count} samples")
    for title, counter in (("self", selfs), ("total (inclusive)", totals)):
        print(f"\n-- top by {title}")
        for name, weight in counter.most_common(args.top):
            print(f"{weight / count:6.1%}  {name}")


if __name__ == "__main__":
    main()
