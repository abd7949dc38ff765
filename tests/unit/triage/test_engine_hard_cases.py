"""The policy's hard cases, in phrasings that are not in the dev file."""

from __future__ import annotations

import pytest

from shared.contracts import Topic, Urgency
from triage.engine import Classifier


def urgency(clf: Classifier, message: str, subject: str | None = None, **kw: bool) -> Urgency:
    fields = {"name": "A", "email": "a@example.org", "message": message, "subject": subject}
    return clf.classify("contact", fields, **kw).urgency


@pytest.mark.parametrize(
    "message",
    [
        "My dad is choking right now and his face is going blue, what do I do",
        "she can't breathe, she keeps gasping and her lips are turning blue",
        "Mi esposo no puede respirar y tiene los labios morados, ayúdenme",
        "my wife is on the kitchen floor and I can't get her up",
        "mi papá se cayó y está en el piso, no lo puedo levantar",
    ],
)
def test_third_party_danger_now_is_an_emergency(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "He has no trouble breathing, we just want diet advice for ALS.",
        "My mother fell last year, she recovered well. Are there balance classes?",
        "He choked once years ago but he is fine now. Any recipes for soft food?",
    ],
)
def test_negation_and_the_past_are_not_emergencies(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is not Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "I'm not suicidal but I am exhausted and I need someone to call me today.",
        "No estoy pensando en quitarme la vida, pero estoy agotada y necesito ayuda hoy.",
    ],
)
def test_negation_lowers_a_danger_one_level_only(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.URGENT


@pytest.mark.parametrize(
    "message",
    [
        "What should we do if he starts choking at dinner? It hasn't happened.",
        "¿Qué hacemos si mi mamá se atraganta? Queremos estar preparados.",
        "What happens if his ventilator loses power in a storm? Planning ahead.",
    ],
)
def test_hypothetical_questions_are_routine(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.ROUTINE


@pytest.mark.parametrize(
    "message",
    [
        "Honestly I don't see the point anymore. I have the pills ready.",
        "Ya no quiero vivir, tengo guardadas sus pastillas y quiero acabar con todo.",
        "Please unsubscribe me. Also I've been saying goodbye to everyone this week.",
        "I keep thinking everyone would be better off without me.",
    ],
)
def test_indirect_suicide_signals_are_emergencies(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "He is having a seizure and won't stop shaking",
        "Mom has dementia and wandered off an hour ago, it is freezing outside",
        "Her oxygen went to 79 and she is very drowsy",
        "I think he took too many of his pills, he is unresponsive",
        "Se desmayó y no despierta",
        "there is blood everywhere, he is bleeding a lot from his head",
        "the kitchen is on fire and he cannot move from his chair",
    ],
)
def test_dangers_not_in_the_examples_are_emergencies(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "my husbnd is chocking and cant breth pls help",
        "she cnt brethe, gasping",
    ],
)
def test_misspellings_still_match(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.EMERGENCY


def test_urgency_in_the_subject_only_counts(clf: Classifier) -> None:
    assert urgency(clf, "Questions about my aide.", subject="please call me today") is (
        Urgency.URGENT
    )


def test_emergency_buried_in_a_long_routine_letter(clf: Classifier) -> None:
    letter = (
        "Thanks for the newsletter, we loved the recipes. Is the support group still on "
        "Thursdays? Also the insurance link on your site is broken. "
        "Oh and my husband said last night he wants to end it all and asked where the gun is. "
        "Anyway, see you at the walk in October!"
    )
    assert urgency(clf, letter) is Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "Lo siento, my mom se cayó and she is on the floor, no la puedo levantar",
        "mi esposo is choking right now, ayuda por favor",
    ],
)
def test_spanish_english_code_switching(clf: Classifier, message: str) -> None:
    assert urgency(clf, message) is Urgency.EMERGENCY


@pytest.mark.parametrize(
    "message",
    [
        "URGENT: breathing emergencies are every caregiver's fear. Our alert pendant offers "
        "peace of mind. Bulk pricing for nonprofits, book a demo: https://x.example",
        "SEO for healthcare nonprofits: first page of Google in 60 days. Free audit!",
    ],
)
def test_spam_borrowing_urgent_words_is_low(clf: Classifier, message: str) -> None:
    v = clf.classify("contact", {"message": message})
    assert (v.urgency, v.topic, v.is_spam) == (Urgency.LOW, Topic.SPAM, True)


def test_crisis_comes_before_spam_and_the_honeypot(clf: Classifier) -> None:
    v = clf.classify("contact", {"message": "my wife can't breathe right now"}, honeypot=True)
    assert v.urgency is Urgency.EMERGENCY
    assert not v.is_spam


def test_honeypot_without_crisis_is_spam(clf: Classifier) -> None:
    v = clf.classify("contact", {"message": "Do you have wheelchairs to lend?"}, honeypot=True)
    assert (v.urgency, v.is_spam) == (Urgency.LOW, True)


def test_profile_role_informs_but_never_decides(clf: Classifier) -> None:
    fields = {"message": "Hello.", "role": "professional", "diagnosis": "als"}
    v = clf.classify("profile", fields)
    assert v.urgency in (Urgency.LOW, Urgency.ROUTINE)
    urgent = clf.classify("profile", {**fields, "message": "Please call me today."})
    assert urgent.urgency is Urgency.URGENT


def test_reasons_name_the_rule_and_the_phrase(clf: Classifier) -> None:
    v = clf.classify("contact", {"message": "He is not breathing"})
    assert any(r.effect == "urgency emergency" and "breathing" in r.evidence for r in v.reasons)
    lowered = clf.classify("contact", {"message": "No trouble breathing, just tired."})
    assert any(r.evidence.startswith("negated:") for r in lowered.reasons)


def test_verdict_shape(clf: Classifier) -> None:
    v = clf.classify("contact", {"message": "¿Tienen sillas de ruedas para prestar?"})
    assert v.language == "es"
    assert v.topics[0] is v.topic
    assert 0.0 <= v.score <= 1.0
    assert clf.version.startswith("default-")
