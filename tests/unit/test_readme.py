"""The README's configuration tables are generated from the settings
classes, and its metrics table names what the services expose; these tests
keep them from drifting."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from settings_table import tables  # noqa: E402
from update_readme import README, readme_block  # noqa: E402

from tests.support.metrics import exposed_metrics  # noqa: E402


def test_the_readme_configuration_tables_match_the_settings_classes() -> None:
    assert readme_block(README.read_text()) == tables(), "run `make docs` to regenerate them"


def test_the_readme_gives_the_two_quick_start_commands() -> None:
    readme = README.read_text()
    assert "make run" in readme and "make test" in readme


def test_the_readme_metrics_table_names_every_metric_and_only_real_ones() -> None:
    names = set(exposed_metrics())
    section = README.read_text().split("**Metrics**", 1)[1].split("\n\n**", 1)[0]
    documented = re.findall(r"^\| `([a-z_*]+)", section, re.MULTILINE)

    def covers(row: str, name: str) -> bool:
        return name.startswith(row[:-1]) if row.endswith("*") else name == row

    assert documented
    for row in documented:
        assert any(covers(row, name) for name in names), f"README names {row}: no such metric"
    for name in names:
        assert any(covers(row, name) for row in documented), f"README misses {name}"
