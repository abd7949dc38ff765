"""The dev-set targets, and the targets on the independently written files."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Targets:
    emergency_recall_en: float
    emergency_recall_es: float
    emergency_precision: float
    urgent_or_worse_recall: float
    macro_f1: float
    topic_accuracy: float
    real_requests_as_spam: int = 0
    spam_above_low: int = 0


# (file, classifier) -> what it must keep reaching
TARGETS = {
    ("dev_lines", "clf"): Targets(1.0, 1.0, 0.80, 0.95, 0.85, 0.85),
    ("dev_lines", "rules_only"): Targets(1.0, 1.0, 0.80, 0.95, 0.85, 0.85),
    # Reached: emergency recall 1.00 / precision 1.00, E+U recall 1.00,
    # macro-F1 0.99, topic 0.95 (rules only) and 0.98 (with the model,
    # which is trained on this file too); the margins below are small.
    ("extra_lines", "clf"): Targets(1.0, 1.0, 0.90, 0.97, 0.93, 0.90),
    ("extra_lines", "rules_only"): Targets(1.0, 1.0, 0.90, 0.97, 0.93, 0.90),
    # Emergencies said without the usual words, and spam and questions that
    # borrow them; the model trains on this file, so it is held to more than
    # the rules. Reached with the model: emergency recall 1.00 (en and es),
    # precision 0.97, E+U recall 0.993, macro-F1 0.93, topic 0.92. Rules
    # only: recall 0.97 (en and es), precision 0.97, E+U recall 0.952,
    # macro-F1 0.90, topic 0.87.
    ("crisis_lines", "clf"): Targets(0.99, 0.99, 0.93, 0.97, 0.90, 0.89),
    ("crisis_lines", "rules_only"): Targets(0.95, 0.95, 0.93, 0.93, 0.87, 0.85),
}
# Wording neither the rules nor the model has seen (sets G-I, and P-Q written
# after the final rules and model). Reached: emergency recall 0.87 / 0.91
# (en / es; 0.30 in all before the crisis sets), precision 0.92, E+U recall
# 0.97, macro-F1 0.89, topic 0.89; two real requests read as spam, five spam
# or press lines above low.
BLIND = Targets(0.84, 0.87, 0.88, 0.95, 0.86, 0.86, real_requests_as_spam=2, spam_above_low=5)


def assert_reaches(r: Report, targets: Targets) -> None:
    assert r.emergency_recall("en") >= targets.emergency_recall_en
    assert r.emergency_recall("es") >= targets.emergency_recall_es
    assert r.per_class()[Urgency.EMERGENCY][0] >= targets.emergency_precision
    assert r.urgent_or_worse_recall() >= targets.urgent_or_worse_recall
    assert r.macro_f1() >= targets.macro_f1
    assert r.topic_accuracy() >= targets.topic_accuracy
    assert r.real_requests_as_spam() <= targets.real_requests_as_spam
    assert r.spam_above_low() <= targets.spam_above_low


@pytest.mark.parametrize(("lines", "which"), list(TARGETS))
def test_labeled_set_targets(which: str, lines: str, request: pytest.FixtureRequest) -> None:
    clf, labeled = request.getfixturevalue(which), request.getfixturevalue(lines)
    assert_reaches(report(clf, labeled), TARGETS[lines, which])


def test_held_out_blind_set_targets(clf: Classifier, blind_lines: list[Any]) -> None:
    assert_reaches(report(clf, blind_lines), BLIND)


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


def test_the_models_reasons_name_words_a_reader_can_check(
    clf: Classifier, crisis_lines: list[Any]
) -> None:
    # staff see these: whole words of the message, not letter fragments or "la"
    raised = 0
    for line in crisis_lines:
        v = clf.classify(line["form"], line["fields"])
        for reason in v.reasons:
            if reason.rule != "model":
                continue
            raised += 1
            cited = reason.evidence.removeprefix("similar to labeled examples: ")
            for item in cited.split(", "):
                words = item.strip("'").split()
                assert any(len(w) >= 4 for w in words), (line["id"], reason.evidence)
    assert raised >= 20
