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


# Rule choices made against sets written blind (bench/RESULTS.md, seventh
# session): each family reads the danger in its usual wordings and stays quiet
# on the everyday messages that share its words. Rules only: the model hides
# nothing.


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
