"""`make bench`: run every benchmark script in this folder, one after another,
then print every figure they reported in one table.

Each script prints its own figures; run them one at a time so they do not
compete for the machine's two cores. Scripts report figures as
`FIGURE<TAB>name<TAB>value<TAB>unit<TAB>target` lines (see _common.py); a
script that prints none (bench_triage.py) is shown as it printed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    failed = 0
    rows: list[tuple[str, str, str, str, str]] = []
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"\n=== {script.name}", flush=True)
        proc = subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("FIGURE\t"):
                _, name, value, unit, target = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
                rows.append((script.stem, name, value, unit, target))
            else:
                print(line, end="", flush=True)
        failed += proc.wait() != 0
    if rows:
        print("\n| bench | figure | value | target |\n|---|---|---|---|")
        for bench, name, value, unit, target in rows:
            print(f"| {bench} | {name} | {value} {unit} | {target} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
