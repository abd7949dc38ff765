"""How `triage train` picks the thresholds at which the model may raise urgency."""

from __future__ import annotations

from shared.contracts import Urgency
from triage.crossval import MIN_CALLS, CrossValidation, Trial
from triage.evaluation import Outcome, Report


def held_out(calls: list[tuple[float, int, int]]) -> CrossValidation:
    """(P(emergency), emergencies, others) at each probability: the model's held-out calls."""
    cv = CrossValidation(folds=5, rules_only=Report())
    for p, emergencies, others in calls:
        cv.model_emergency += [(True, p)] * emergencies + [(False, p)] * others
    return cv


def test_the_lowest_threshold_at_which_the_model_alone_is_right_nine_times_in_ten() -> None:
    # at >= 0.5: 45 of 55 right (0.82); at >= 0.6: 40 of 42 (0.95)
    cv = held_out([(0.55, 5, 8), (0.65, 40, 2)])
    assert cv.emergency_threshold() == 0.6


def test_a_precise_model_may_raise_from_the_lowest_threshold() -> None:
    assert held_out([(0.5, 30, 1)]).emergency_threshold() == 0.5


def test_too_few_held_out_calls_to_judge_never_raise() -> None:
    assert held_out([(0.95, MIN_CALLS - 1, 0)]).emergency_threshold() is None


def test_a_model_that_is_never_right_often_enough_never_raises() -> None:
    assert held_out([(0.95, 20, 20)]).emergency_threshold() is None


def test_where_held_out_folds_cannot_tell_thresholds_apart_the_readier_to_raise_wins() -> None:
    # "when torn, the higher urgency": equal scores, so the lower jump is kept
    cv = held_out([(0.6, 30, 1)])
    same = [Outcome(Urgency.EMERGENCY, Urgency.EMERGENCY, ("symptoms",), "symptoms", "en")]
    cautious = Trial({"emergency": 0.5, "urgent": 0.8, "jump": 0.95}, Report(list(same)), 0)
    ready = Trial({"emergency": 0.5, "urgent": 0.8, "jump": 0.8}, Report(list(same)), 0)
    cv.trials = [cautious, ready]
    assert cv.best() is ready
