"""hypothesis on the classifier: any text, any size up to the form's limit."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts import Topic, Urgency
from shared.forms import MAX_MESSAGE, FormKind
from triage.engine import Classifier, Verdict, load_classifier

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(120)]

WORDS = st.sampled_from(
    [
        "can't breathe",
        "fell",
        "kill myself",
        "not",
        "years ago",
        "if",
        "BUY NOW",
        "http://x.io",
        "viagra",
        "ALS",
        "ventilator",
        "no puede respirar",
        "\u202e",
        "\x00",
        "<script>",
        "🙂",
        "\u0301",
        "ǅ",
        "ﬀ",
        "İ",
        "\ufeff",
        "\r\n",
        " ",
    ]
)
TEXT = (
    st.text(max_size=400)
    | st.lists(WORDS | st.text(max_size=12), max_size=60).map(" ".join)
    | st.tuples(st.text(min_size=1, max_size=3), st.integers(1, MAX_MESSAGE // 3)).map(
        lambda t: (t[0] * t[1])[:MAX_MESSAGE]
    )
)
FIELDS = st.fixed_dictionaries(
    {"message": TEXT},
    optional={
        "name": st.text(max_size=200),
        "subject": TEXT | st.none(),
        "location": st.text(max_size=200) | st.none(),
        "email": st.text(max_size=50),
    },
)


@cache
def classifier() -> Classifier:
    return load_classifier()


def check(verdict: Verdict, honeypot: bool) -> None:
    assert isinstance(verdict, Verdict)
    assert isinstance(verdict.urgency, Urgency) and verdict.urgency is not None
    assert isinstance(verdict.topic, Topic) and verdict.topic in verdict.topics
    assert verdict.score == verdict.score  # not NaN
    assert isinstance(verdict.language, str)
    if verdict.is_spam:
        assert verdict.urgency is Urgency.LOW and verdict.topic is Topic.SPAM
    if honeypot and not verdict.is_spam:
        # Only a crisis beats a filled honeypot.
        assert verdict.urgency is Urgency.EMERGENCY, verdict


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(form=st.sampled_from([*FormKind, "unknown-form"]), fields=FIELDS, honeypot=st.booleans())
def test_classifier_never_raises_and_keeps_the_spam_policy(
    form: FormKind | str, fields: dict[str, str | None], honeypot: bool
) -> None:
    check(classifier().classify(form, fields, honeypot), honeypot)


@pytest.mark.parametrize(
    "message",
    [
        "a" * MAX_MESSAGE,
        ("help " * 2000)[:MAX_MESSAGE],
        "\u202e" * MAX_MESSAGE,
        "🙂" * MAX_MESSAGE,
        ("he can't breathe " * 600)[:MAX_MESSAGE],
        "x\u0301" * (MAX_MESSAGE // 2),
        "\x00\r\n" * (MAX_MESSAGE // 3),
    ],
    ids=["letters", "words", "rlo", "emoji", "crisis", "combining", "controls"],
)
@pytest.mark.parametrize("honeypot", [False, True])
def test_huge_messages_classify(message: str, honeypot: bool) -> None:
    fields = {"name": "Ana", "message": message, "subject": message[:200]}
    check(classifier().classify(FormKind.CONTACT, fields, honeypot), honeypot)
