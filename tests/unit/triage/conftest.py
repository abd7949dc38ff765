from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from triage.engine import Classifier, load_classifier
from triage.rules import load_rules

DATA = Path(__file__).resolve().parents[2] / "data"
DEV = DATA / "triage-dev.jsonl"
# Written from the policy, not from the dev lines: the hard families
# (indirect suicide, buried emergencies, dangers not in the examples,
# misspelling, Spanish and code-switching, near misses, spam with crisis words).
EXTRA = DATA / "triage-extra.jsonl"
# Six sets written blind (their writers saw the policy, never the rules or
# the model), each scored before the rules were mended against it: the
# wording the other files lack (bench/RESULTS.md, seventh session).
CRISIS = DATA / "triage-crisis.jsonl"
# Five more sets written blind, held out: nothing was trained on them or
# mended against them, so they measure wording the rules have never seen.
# Keep it so: score on this file, never fit to it.
BLIND = DATA / "triage-blind.jsonl"


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="session")
def clf() -> Classifier:
    return load_classifier()


@pytest.fixture(scope="session")
def rules_only() -> Classifier:
    return Classifier(load_rules(), None)


def _lines(path: Path) -> Callable[[], list[dict[str, Any]]]:
    """A session fixture holding one labeled file's lines."""

    @pytest.fixture(scope="session")
    def lines() -> list[dict[str, Any]]:
        return _read(path)

    return lines


dev_lines = _lines(DEV)
extra_lines = _lines(EXTRA)
crisis_lines = _lines(CRISIS)
blind_lines = _lines(BLIND)
