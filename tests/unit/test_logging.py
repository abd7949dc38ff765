"""Logging, configured once per process: one JSON object per line, keyed by the
submission id, personal data dropped even when a call passes it by mistake."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from shared.logging import configure_logging


class Recorder:
    """Stands in for stderr and keeps each write() separately."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in "".join(self.writes).splitlines()]


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """Logging configured as a service does it, into a Recorder; undone afterwards."""
    recorder = Recorder()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", recorder)
        configure_logging("json", "info")
    yield recorder
    structlog.reset_defaults()
    root.handlers[:], root.level = handlers, level


def test_an_event_is_one_json_line_written_at_once(logged: Recorder) -> None:
    structlog.get_logger("test").info("submission.accepted", submission_id="abc", form="contact")

    assert len(logged.writes) == 1 and logged.writes[0].endswith("}\n")
    [line] = logged.lines()
    assert line["event"] == "submission.accepted"
    assert line["submission_id"] == "abc"
    assert line["level"] == "info" and str(line["timestamp"]).endswith("Z")


def test_personal_data_never_reaches_the_output(logged: Recorder) -> None:
    structlog.get_logger("test").warning(
        "careless", submission_id="abc", email="ana@example.org", message="I can't breathe"
    )

    text = "".join(logged.writes)
    assert "ana@example.org" not in text and "breathe" not in text
    [line] = logged.lines()
    assert line["email"] == line["message"] == "[redacted]"


def test_library_logging_comes_out_the_same_way_and_below_info_is_dropped(
    logged: Recorder,
) -> None:
    logging.getLogger("aiohttp.server").error("Error handling request")
    logging.getLogger("aiohttp.server").debug("noise")
    logging.getLogger("aiormq.connection").info("frame with a message body")

    [line] = logged.lines()
    assert line["event"] == "Error handling request" and line["level"] == "error"
