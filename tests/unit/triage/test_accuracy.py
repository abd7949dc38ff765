"""The dev-set targets (the rules are also scored on unseen data elsewhere)."""

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


def test_the_model_only_raises(
    clf: Classifier, rules_only: Classifier, dev_lines: list[Any]
) -> None:
    for line in dev_lines:
        with_model = clf.classify(line["form"], line["fields"]).urgency
        without = rules_only.classify(line["form"], line["fields"]).urgency
        assert with_model.rank >= without.rank, line["id"]
