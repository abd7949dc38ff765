"""Rule choices made against sets written blind (bench/RESULTS.md, seventh session):
each family reads the danger in its usual wordings, and stays quiet on the
everyday messages that share its words. Rules only, so the model hides nothing."""

from __future__ import annotations

import pytest

from shared.contracts import Urgency
from triage.engine import Classifier


def urgency(clf: Classifier, message: str) -> Urgency:
    return clf.classify(
        "contact", {"name": "A", "email": "a@example.org", "message": message}
    ).urgency


@pytest.mark.parametrize(
    "message",
    [
        # "was fine at breakfast" dates a sudden change; it is not a past cue
        "His face went lopsided ten minutes ago, he is slurring and can't lift his right arm, "
        "which was fine at breakfast.",
        "The BiPAP alarm keeps going off and he is gulping air between the beeps.",
        "his bipap stopped and he is sweating, we tried the hose twice",
        "I'll be joining Arthur before long. I have what I need from his medicine drawer.",
        "Tonight she asked me how many of her oxycodone would be too many. She is not picking up.",
        "I gave my uncle the wrong pills, four of them, and now he barely opens his eyes.",
        "Our AC quit and it's 101 inside, he is bright red and stopped making sense.",
        "My mom has dementia and walked out of the house after midnight, it's 18 degrees.",
        "Generator is running in the attached garage and we all have headaches and feel dizzy.",
    ],
)
def test_new_wordings_of_danger_now_are_emergencies(rules_only: Classifier, message: str) -> None:
    assert urgency(rules_only, message) is Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "He has fallen four times since Sunday. He hasn't been hurt, but it is new this week.",
        "How do the alarms on a home ventilator work? I didn't catch the low pressure one.",
        "I stopped working to care for him and he uses a BiPAP at night. Any grants?",
        "Do you have suicide prevention resources for our caregiver support group?",
        "I'd like to join the caregiver group soon. Is it on Tuesdays?",
        "How many hours of aide time would be enough for someone at his stage?",
        "We keep his medicine cabinet locked because of the grandchildren.",
        "Her son pushes her wheelchair to the park every day, la empuja con cuidado.",
        "He is not responding to Mestinon anymore, should we see the neurologist?",
    ],
)
def test_everyday_messages_that_share_their_words_are_not(
    rules_only: Classifier, message: str
) -> None:
    assert urgency(rules_only, message) is not Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "EMERGENCY!!! Your website is choking on slow load times and donors can't breathe "
        "at checkout. Limited time offer.",
        "Every year seniors fall and can't get up. Our fall detection pendant pays your "
        "organization a referral fee for every signup.",
        "¡Préstamos rápidos sin buró de crédito! Aprobación en 10 minutos, "
        "escríbanos por WhatsApp.",
    ],
)
def test_pitches_that_borrow_a_crisis_are_low(rules_only: Classifier, message: str) -> None:
    assert urgency(rules_only, message) is Urgency.LOW


def test_a_real_question_about_an_alert_pendant_is_not_spam(rules_only: Classifier) -> None:
    verdict = rules_only.classify(
        "contact",
        {
            "name": "A",
            "email": "a@example.org",
            "message": "Should my mother get a medical alert pendant? She lives alone "
            "and has fallen twice this year.",
        },
    )
    assert not verdict.is_spam
