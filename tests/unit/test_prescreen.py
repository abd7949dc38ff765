"""The intake's pre-screen only picks a queue: possible danger jumps the flood."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.submissions import routing_key_for
from shared import prescreen
from shared.contracts import Submission
from shared.prescreen import mentions_danger


@pytest.mark.parametrize(
    "text",
    [
        "My husband can't breathe and his lips are blue",
        "she fell and can't get up",
        "I have the pills ready and I want to die",
        "Mi esposo no puede respirar, ayuda",
        "He is CHOKING right now!!!",
        "my wife has a seizure that won't stop",
    ],
)
def test_danger_words_send_a_submission_to_the_short_queue(text: str) -> None:
    assert mentions_danger([text])


@pytest.mark.parametrize(
    "text",
    [
        "How do I donate in memory of my father?",
        "Please add me to the newsletter",
        "Do you have a loan closet with shower chairs?",
        "Who can help us find a massage therapist?",
        "URGENT: grow your clinic with our SEO packages",
        "¿Hay algún programa que nos pueda ayudar esta semana?",
    ],
)
def test_everyday_questions_stay_in_the_ordinary_queue(text: str) -> None:
    assert not mentions_danger([text])


def test_a_danger_word_in_the_subject_alone_counts() -> None:
    assert mentions_danger([None, "URGENT he stopped breathing"])


def test_the_routing_key_gains_the_priority_suffix_only_for_danger() -> None:
    def contact(message: str) -> Submission:
        fields = {"name": "A", "email": "a@example.com", "message": message}
        return Submission(form="contact", fields=fields)

    assert routing_key_for(contact("she fell and is on the floor")) == "submission.contact.priority"
    assert routing_key_for(contact("newsletter please")) == "submission.contact"


# Every stem tried at every word start: the plain reading of the stem list,
# which the compiled pattern (grouped by first letter for speed) must equal.
PLAIN_READING = re.compile(r"\b(?:" + "|".join(prescreen._STEMS) + ")")
STEM_TEXT = st.lists(
    st.sampled_from(
        [s.replace("(right )?", "right ").split("(")[0] for s in prescreen._STEMS]
        + ["x", "_", "9", " ", "'", "é", "Ü", "-", "no", "help", "ayuda", "now"]
    ),
    max_size=12,
).map("".join)


@given(st.one_of(STEM_TEXT, st.text(max_size=60)))
def test_the_compiled_pattern_reads_the_stem_list_exactly(text: str) -> None:
    plain = prescreen._plain(text)
    assert bool(prescreen._DANGER.search(plain)) == bool(PLAIN_READING.search(plain))
