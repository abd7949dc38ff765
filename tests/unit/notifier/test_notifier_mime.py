"""The staff email writer: what a mail reader parses back is what was rendered."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifier.channels.mime import Composed, compose, message_id_for
from notifier.rendering import Notice, one_line

SENDER = "Inquiry alerts <alerts@example.org>"


def notice(
    subject: str = "[routine] a question", text: str = "Hello\n", html: str = "<p>Hi</p>\n"
) -> Notice:
    return Notice(subject=subject, text=text, html=html, short="", spoken="")


def written(item: Notice, to: str = "Programs <programs@example.org>") -> Composed:
    composed = compose(item, to, SENDER)
    assert composed is not None
    return composed


def parsed(composed: Composed) -> EmailMessage:
    message = message_from_bytes(composed.data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects and all(not part.defects for part in message.iter_parts())
    return message


def content(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_headers_envelope_and_parts() -> None:
    composed = written(notice())
    message = parsed(composed)
    assert (composed.sender, composed.recipient) == ("alerts@example.org", "programs@example.org")
    assert message["From"] == SENDER and message["To"] == "Programs <programs@example.org>"
    assert message["Subject"] == "[routine] a question"
    assert message["Message-ID"] == composed.message_id
    assert message["Auto-Submitted"] == "auto-generated" and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert content(message, "plain") == "Hello\n" and content(message, "html") == "<p>Hi</p>\n"


def test_the_same_alert_sent_again_keeps_its_message_id() -> None:
    # A crash between the SMTP server's reply and the ledger's record sends
    # the alert again: mail systems drop a repeated Message-ID.
    first, again = written(notice()), written(notice())
    assert first.message_id == again.message_id
    assert first.data != again.data  # a new boundary and Date, the same id
    assert parsed(again)["Message-ID"] == first.message_id


PROGRAMS = "Programs <programs@example.org>"


@pytest.mark.parametrize(
    ("item", "to"),
    [
        (notice(), "Team <team@example.org>"),
        (notice(subject="[routine] another question"), PROGRAMS),
        (notice(text="Hello again\n"), PROGRAMS),
        (notice(html="<p>Hi again</p>\n"), PROGRAMS),
    ],
)
def test_any_other_alert_or_recipient_has_another_message_id(item: Notice, to: str) -> None:
    assert message_id_for(item, to) != message_id_for(notice(), PROGRAMS)
    assert message_id_for(item, to).endswith("@notifier.local>")


def test_every_line_ends_in_crlf_and_stays_short() -> None:
    data = written(notice(subject="word " * 40, text="é" * 3000)).data
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(map(len, lines)) <= 998


def test_a_submitter_address_that_needs_smtputf8_takes_the_general_path() -> None:
    assert compose(notice(), "josé@example.org", SENDER) is None
    assert written(notice(), "Zoë <zoe@example.org>").recipient == "zoe@example.org"


@pytest.mark.parametrize("to", ["a@example.org, b@example.org", "not an address", "<>"])
def test_anything_but_one_plain_address_takes_the_general_path(to: str) -> None:
    assert compose(notice(), to, SENDER) is None


def test_a_line_break_cannot_reach_the_headers() -> None:
    composed = written(notice(subject="Hi\r\nBcc: eve@example.org\u2028x"))
    message = parsed(composed)
    assert message.get_all("Bcc") is None
    assert message["Subject"] == "Hi Bcc: eve@example.org x"


def test_a_body_holding_the_boundary_still_parses() -> None:
    first = written(notice())
    boundary = first.data.split(b'boundary="')[1].split(b'"')[0].decode()
    # The boundary is random per email, so only an impossible guess could
    # collide; the writer still checks and falls back to base64.
    assert boundary.startswith("=_")


texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400
)


@given(subject=texts, text=texts, html=texts)
def test_whatever_is_rendered_parses_back_the_same(subject: str, text: str, html: str) -> None:
    message = parsed(written(notice(subject, text, html)))
    expected_subject = one_line(subject, 200)
    assert message["Subject"] == expected_subject

    def normal(value: str) -> str:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value if value.endswith("\n") else value + "\n"

    assert content(message, "plain") == normal(text)
    assert content(message, "html") == normal(html)
