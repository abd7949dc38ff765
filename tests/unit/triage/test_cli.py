"""`triage classify` and `triage evaluate` as a user runs them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from triage.__main__ import main

DEV = Path(__file__).resolve().parents[2] / "data" / "triage-dev.jsonl"


def test_classify_writes_one_line_per_input_and_reports_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {"id": "x1", "form": "contact", "fields": {"message": "he can't breathe"}, "lang": "en"}
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"id": "x3"}) + "\n")
    assert main(["classify", str(path)]) == 1
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1
    assert rows[0]["id"] == "x1" and rows[0]["urgency"] == "emergency"
    assert set(rows[0]) == {"id", "urgency", "topic", "topics", "reasons"}
    assert {"rule", "effect", "evidence"} <= set(rows[0]["reasons"][0])
    assert "line 2:" in err and "line 3:" in err


def test_evaluate_prints_the_scores(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(DEV)]) == 0
    out = capsys.readouterr().out
    for text in (
        "urgency confusion",
        "macro-F1",
        "topic accuracy",
        "emergency recall (es)",
        "real requests labeled spam",
        "spam above low",
    ):
        assert text in out


def test_a_bad_rule_file_exits_with_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: [")
    assert main(["classify", "--rules", str(bad), str(DEV)]) == 2
    assert "rules.yaml: file: is not valid YAML" in capsys.readouterr().err


def test_train_cross_validates_the_thresholds_and_ships_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = DEV.read_text(encoding="utf-8").splitlines()[:60]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model.json"
    assert main(["train", str(small), "--folds", "2", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    for text in ("2-fold cross-validation on 60 lines", "rules only", "<- chosen", "macro-F1"):
        assert text in printed
    model = json.loads(out.read_text(encoding="utf-8"))
    assert set(model["thresholds"]) == {"emergency", "urgent", "jump"}
    assert model["cv"]["folds"] == 2 and model["cv"]["lines"] == 60
    # the choice keeps emergency recall at least at the rules-only level
    assert model["cv"]["emergency_recall"] >= model["cv"]["rules_only_emergency_recall"]
    assert "chosen thresholds:" in printed


def test_a_threshold_of_none_never_raises() -> None:
    from shared.contracts import Urgency
    from triage.model import raised

    sure = {Urgency.EMERGENCY: 0.99, Urgency.URGENT: 0.01}
    never = {Urgency.EMERGENCY.rank: math.inf, Urgency.URGENT.rank: math.inf}
    assert raised(Urgency.ROUTINE.rank, sure, never, math.inf) is None
    one_up = {Urgency.EMERGENCY.rank: 0.5, Urgency.URGENT.rank: 0.6}
    assert raised(Urgency.URGENT.rank, sure, one_up, 0.8) == (Urgency.EMERGENCY, 0.99)
    # two levels at once only past `jump`
    assert raised(Urgency.ROUTINE.rank, sure, one_up, 0.995) == (Urgency.URGENT, 1.0)
