"""The README's configuration tables are generated from the settings
classes; this keeps the two from drifting."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from settings_table import tables  # noqa: E402
from update_readme import README, readme_block  # noqa: E402


def test_the_readme_configuration_tables_match_the_settings_classes() -> None:
    assert readme_block(README.read_text()) == tables(), "run `make docs` to regenerate them"


def test_the_readme_gives_the_two_quick_start_commands() -> None:
    readme = README.read_text()
    assert "make run" in readme and "make test" in readme
