"""`make docs`: rewrite the README's configuration tables from the settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def main() -> None:
    tables = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings_table.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    readme = ROOT / "README.md"
    before, rest = readme.read_text().split(START, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(f"{before}{START}\n{tables}\n{END}{after}")


if __name__ == "__main__":
    main()
