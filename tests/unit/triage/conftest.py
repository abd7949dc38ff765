from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from triage.engine import Classifier, load_classifier
from triage.rules import load_rules

DEV = Path(__file__).resolve().parents[2] / "data" / "triage-dev.jsonl"


@pytest.fixture(scope="session")
def clf() -> Classifier:
    return load_classifier()


@pytest.fixture(scope="session")
def rules_only() -> Classifier:
    return Classifier(load_rules(), None)


@pytest.fixture(scope="session")
def dev_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
