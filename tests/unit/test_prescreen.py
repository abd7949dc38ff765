"""The intake's pre-screen only picks a queue: possible danger jumps the flood.
Its stems come from a file: the shipped one, or an operator's, checked at load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.submissions import mentions_danger as submission_mentions_danger
from intake.submissions import routing_key
from shared import prescreen
from shared.contracts import Submission
from shared.prescreen import Prescreen, PrescreenError, load_prescreen

SHIPPED = load_prescreen()
mentions_danger = SHIPPED.mentions_danger


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

    danger, everyday = contact("she fell and is on the floor"), contact("newsletter please")
    assert (
        routing_key(danger, submission_mentions_danger(danger, SHIPPED))
        == "submission.contact.priority"
    )
    assert (
        routing_key(everyday, submission_mentions_danger(everyday, SHIPPED)) == "submission.contact"
    )


# Every stem tried at every word start: the plain reading of a stem list,
# which the compiled pattern (grouped by first letter for speed) must equal,
# for the shipped list and for stems whose first letter cannot be split off.
TRICKY = ("a|bc", "(ab|c)d", "a?bd", "ab?c", "b+d", "bd", "c", "9[0-9]", "ca|d")


def plain_reading(stems: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{s})" for s in stems) + ")")


STEM_TEXT = st.lists(
    st.sampled_from(
        [s.replace("(right )?", "right ").split("(")[0] for s in SHIPPED.stems]
        + ["x", "_", "9", " ", "'", "é", "Ü", "-", "no", "help", "ayuda", "now"]
        + ["a", "b", "c", "d", "ab", "bd", "cd", "90"]
    ),
    max_size=12,
).map("".join)


@pytest.mark.parametrize("stems", [SHIPPED.stems, TRICKY], ids=["shipped", "tricky"])
@given(text=st.one_of(STEM_TEXT, st.text(max_size=60)))
def test_the_compiled_pattern_reads_the_stem_list_exactly(
    stems: tuple[str, ...], text: str
) -> None:
    plain = prescreen._plain(text)
    expected = bool(plain_reading(stems).search(plain))
    assert Prescreen(stems).mentions_danger([text]) == expected


def test_an_operators_file_has_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "stems.txt"
    path.write_text("# ours\n\nstairlift  # broken ones too\ncaida\n", encoding="utf-8")
    screen = load_prescreen(path)
    assert screen.stems == ("stairlift", "caida")
    assert screen.mentions_danger(["Her STAIRLIFT stopped"])
    assert screen.mentions_danger(["Una caída en casa"])
    assert not screen.mentions_danger(["she fell"])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("breath\nfell(\n", ":2: not a regular expression"),
        ("breath\n(x)?\n", ":2: matches an empty text"),
        ("Breath\n", ":1: texts are read in lower case without accents"),
        ("caída\n", ":1: texts are read in lower case without accents"),
        ("can't\n", ":1: texts are read in lower case without accents"),
        ("# nothing here\n\n", ": no stems"),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "stems.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PrescreenError, match=re.escape(f"{path}{reason}")):
        load_prescreen(path)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrescreenError, match="cannot be read"):
        load_prescreen(tmp_path / "missing.txt")
    (tmp_path / "latin1.txt").write_bytes(b"ca\xefda\n")
    with pytest.raises(PrescreenError, match="cannot be read"):
        load_prescreen(tmp_path / "latin1.txt")


def test_an_escape_in_upper_case_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "stems.txt"
    path.write_text("help\\W+now\n", encoding="utf-8")
    assert load_prescreen(path).mentions_danger(["help!! now"])


def test_a_second_opinion_reads_only_what_the_stems_let_through() -> None:
    asked: list[str] = []

    def opinion(text: str) -> bool:
        asked.append(text)
        return "goodbye" in text

    screen = load_prescreen(second_opinion=opinion)
    assert screen.mentions_danger(["He stopped breathing"])
    assert asked == []  # the stems were enough
    assert screen.mentions_danger(["My brother", None, "texted goodbye and turned his phone off"])
    assert asked == ["My brother\ntexted goodbye and turned his phone off"]
    assert not screen.mentions_danger(["Do you have a newsletter?"])
    assert not screen.mentions_danger([None, ""])
    assert len(asked) == 2  # nothing to read, nothing asked
