"""`triage classify` and `triage evaluate` as a user runs them."""

from __future__ import annotations

import json
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
