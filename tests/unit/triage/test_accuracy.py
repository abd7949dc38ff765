"""The dev-set targets, and the targets on the independently written files."""

from __future__ import annotations

from typing import Any

import pytest

from shared.contracts import Urgency
from triage.engine import Classifier
from triage.evaluation import Outcome, Report


def report(clf: Classifier, lines: list[dict[str, Any]]) -> Report:
    out = Report()
    for line in lines:
        v = clf.classify(line["form"], line["fields"])
        truth = Urgency(line["urgency"])
        out.outcomes.append(Outcome(truth, v.urgency, tuple(line["topics"]), v.topic, line["lang"]))
    return out


@pytest.mark.parametrize("which", ["clf", "rules_only"])
def test_dev_set_targets(which: str, request: pytest.FixtureRequest, dev_lines: list[Any]) -> None:
    r = report(request.getfixturevalue(which), dev_lines)
    assert r.emergency_recall("en") == 1.0
    assert r.emergency_recall("es") == 1.0
    assert r.per_class()[Urgency.EMERGENCY][0] >= 0.80
    assert r.urgent_or_worse_recall() >= 0.95
    assert r.macro_f1() >= 0.85
    assert r.topic_accuracy() >= 0.85
    assert r.real_requests_as_spam() == 0
    assert r.spam_above_low() == 0


@pytest.mark.parametrize("which", ["clf", "rules_only"])
def test_extra_set_targets(
    which: str, request: pytest.FixtureRequest, extra_lines: list[Any]
) -> None:
    # Reached: emergency recall 1.00 / precision 1.00, E+U recall 1.00,
    # macro-F1 0.99, topic 0.95 (rules only) and 1.00 (with the model,
    # which is trained on this file too); the margins below are small.
    r = report(request.getfixturevalue(which), extra_lines)
    assert r.emergency_recall("en") == 1.0
    assert r.emergency_recall("es") == 1.0
    assert r.per_class()[Urgency.EMERGENCY][0] >= 0.90
    assert r.urgent_or_worse_recall() >= 0.97
    assert r.macro_f1() >= 0.93
    assert r.topic_accuracy() >= 0.90
    assert r.real_requests_as_spam() == 0
    assert r.spam_above_low() == 0


@pytest.mark.parametrize("which", ["clf", "rules_only"])
def test_crisis_set_targets(
    which: str, request: pytest.FixtureRequest, crisis_lines: list[Any]
) -> None:
    # Emergencies said without the usual words, and spam and questions that
    # borrow them. Reached (with the model / rules only): emergency recall
    # 0.99 / 1.00 (en / es), precision 0.97, E+U recall 0.997 / 0.977,
    # macro-F1 0.93 / 0.91, topic 0.93 / 0.87.
    r = report(request.getfixturevalue(which), crisis_lines)
    assert r.emergency_recall("en") >= 0.98
    assert r.emergency_recall("es") == 1.0
    assert r.per_class()[Urgency.EMERGENCY][0] >= 0.90
    assert r.urgent_or_worse_recall() >= 0.97
    assert r.macro_f1() >= 0.85
    assert r.topic_accuracy() >= 0.85
    assert r.real_requests_as_spam() == 0
    assert r.spam_above_low() == 0


def test_held_out_blind_set_targets(clf: Classifier, blind_lines: list[Any]) -> None:
    # Wording neither the rules nor the model has seen. Reached: emergency
    # recall 0.80 (0.28 before the crisis sets), precision 0.89, E+U recall
    # 0.97, macro-F1 0.86, topic 0.89; one real request read as spam, three
    # spam or press lines above low.
    r = report(clf, blind_lines)
    assert r.per_class()[Urgency.EMERGENCY][1] >= 0.75
    assert r.per_class()[Urgency.EMERGENCY][0] >= 0.85
    assert r.urgent_or_worse_recall() >= 0.95
    assert r.macro_f1() >= 0.80
    assert r.topic_accuracy() >= 0.85
    assert r.real_requests_as_spam() <= 1
    assert r.spam_above_low() <= 3


def test_the_model_only_raises(
    clf: Classifier,
    rules_only: Classifier,
    dev_lines: list[Any],
    extra_lines: list[Any],
    crisis_lines: list[Any],
) -> None:
    for line in dev_lines + extra_lines + crisis_lines:
        with_model = clf.classify(line["form"], line["fields"]).urgency
        without = rules_only.classify(line["form"], line["fields"]).urgency
        assert with_model.rank >= without.rank, line["id"]
