"""The danger pre-screen's second opinion: triage's classifier, for routing only."""

from __future__ import annotations

import pytest

from intake.danger import LONGEST_TEXT, triage_opinion
from tests.support.submissions import INDIRECT_EMERGENCY
from triage.engine import Classifier

INDIRECT = INDIRECT_EMERGENCY["message"]  # no danger word stem in it


def test_it_reads_an_emergency_the_way_triage_does() -> None:
    opinion = triage_opinion(None)
    assert opinion(INDIRECT)
    assert not opinion("Do you have a newsletter?")


def test_it_reads_no_more_than_the_forms_allow() -> None:
    # A longer text is refused anyway; its tail must not cost the intake CPU.
    opinion = triage_opinion(None)
    padding = "Do you have a newsletter? " * (LONGEST_TEXT // 26 + 1)
    assert opinion(INDIRECT + " " + padding)
    assert not opinion(padding + " " + INDIRECT)


def test_an_engine_error_counts_as_danger(monkeypatch: pytest.MonkeyPatch) -> None:
    # The short queue, where triage meets the same error and escalates it to a person.
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(Classifier, "classify", broken)
    assert triage_opinion(None)("Do you have a newsletter?")
