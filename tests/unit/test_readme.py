"""The README's configuration tables are generated from the settings
classes; this keeps the two from drifting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def test_the_readme_configuration_tables_match_the_settings_classes() -> None:
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings_table.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    readme = (ROOT / "README.md").read_text()
    block = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == generated, "run `make docs` to regenerate the README's tables"


def test_the_readme_gives_the_two_quick_start_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
