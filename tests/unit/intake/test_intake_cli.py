"""`intake check-prescreen [FILE]`: an operator checks a stems file before
deploying it, with the same checks the intake makes at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.__main__ import main


def test_the_shipped_list_checks_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-prescreen"]) == 0
    assert "shipped list: ok (" in capsys.readouterr().out


def test_a_good_file_reports_its_stems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "stems.txt"
    path.write_text("# ours\nstairlift\ncaida\n", encoding="utf-8")
    assert main(["check-prescreen", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: ok (2 stems)"


def test_a_bad_file_names_the_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stems.txt"
    path.write_text("stairlift\nCaída\n", encoding="utf-8")
    assert main(["check-prescreen", str(path)]) == 2
    assert f"pre-screen file error: {path}:2: texts are read in lower case" in (
        capsys.readouterr().err
    )


def test_the_file_defaults_to_the_configured_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stems.txt"
    path.write_text("stairlift\n", encoding="utf-8")
    monkeypatch.setenv("INTAKE_PRESCREEN_FILE", str(path))
    assert main(["check-prescreen"]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: ok (1 stem)"
