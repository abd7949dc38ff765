"""Rendering with hostile input: escaped HTML, one-line subjects, minimal SMS."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from email import message_from_bytes, policy
from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st

from notifier.channels.email import build_email
from notifier.channels.twilio import twiml
from notifier.rendering import (
    ack_notice,
    bundle_notice,
    digest_notice,
    one_line,
    ops_notice,
    staff_notice,
)
from shared.contracts import TriageResult, Urgency

Factory = Callable[..., TriageResult]
EVIL = "<script>alert(1)</script>\r\nBcc: x@example.com\n"


def test_staff_email_quotes_everything_and_says_why(make_result: Factory) -> None:
    result = make_result(
        Urgency.EMERGENCY, message="He can't breathe\nsince 5 minutes", subject="Help"
    )
    notice = staff_notice(result)
    for part in (
        "He can't breathe",
        "since 5 minutes",
        "maria@example.com",
        "+1 555 010 7777",
        "breathing_now",
        "urgency: emergency",
        "topic: care_support",
        "Help",
    ):
        assert part in notice.text
    assert str(result.submission_id) in notice.subject and "[EMERGENCY]" in notice.subject


def test_html_escapes_every_submitter_value(make_result: Factory) -> None:
    notice = staff_notice(make_result(name="<b>Bob</b>", message=EVIL, subject="<i>x</i>"))
    assert (
        "<script>" not in notice.html and "<b>Bob" not in notice.html and "<i>x" not in notice.html
    )
    assert "&lt;script&gt;" in notice.html and "&lt;b&gt;Bob" in notice.html


def test_sms_and_voice_carry_no_health_details(make_result: Factory) -> None:
    notice = staff_notice(make_result(Urgency.URGENT, message="ALS, choking, diagnosis details"))
    for said in (notice.short, notice.spoken):
        assert "choking" not in said and "ALS" not in said and "breathe" not in said
    assert (
        "URGENT" in notice.short and "Maria" in notice.short and "+1 555 010 7777" in notice.short
    )
    assert "Lopez" not in notice.short  # the first name only


def test_sms_without_a_phone_names_the_inquiry(make_result: Factory) -> None:
    result = make_result(phone=None)
    assert str(result.submission_id) in staff_notice(result).short


def test_twiml_is_well_formed_with_hostile_names(make_result: Factory) -> None:
    document = ElementTree.fromstring(twiml(staff_notice(make_result(name="<&>\"'Zoë"))))
    assert document.tag == "Response" and "<&>" in (document.find("Say").text or "")


def test_email_headers_cannot_be_injected(make_result: Factory) -> None:
    # Past the form validation (defence in depth): line breaks of every kind in the name.
    result = make_result(message=EVIL)
    name = "Eve\u2028Bcc:\u0085x@example.com\r\nBcc: y@example.com"
    fields = result.submission.fields.model_copy(update={"name": name})
    result = result.model_copy(
        update={"submission": result.submission.model_copy(update={"fields": fields})}
    )
    notice = staff_notice(result)
    raw = build_email(notice, "staff@example.org", "alerts@example.org").as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed.get_all("Bcc") is None and parsed["To"] == "staff@example.org"


@given(st.text(max_size=300))
def test_one_line_never_keeps_a_line_break(value: str) -> None:
    cleaned = one_line(value, 200)
    assert not any(ch in cleaned for ch in "\r\n\x85\u2028\u2029\x0b\x0c") and len(cleaned) <= 200


@given(st.text(max_size=300), st.integers(min_value=0, max_value=250))
def test_one_line_is_the_text_with_every_run_of_space_and_control_made_one_space(
    value: str, limit: int
) -> None:
    spaced = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in value)
    assert one_line(value, limit) == " ".join(spaced.split())[:limit]


def test_the_ack_hides_triage_labels_and_sends_emergencies_to_911(make_result: Factory) -> None:
    emergency = ack_notice(make_result(Urgency.EMERGENCY))
    assert "911" in emergency.text and "988" in emergency.text
    routine = ack_notice(make_result(Urgency.ROUTINE))
    assert "911" not in routine.text
    for notice in (emergency, routine):
        for label in ("emergency", "urgency", "care_support", "breathing_now", "routine"):
            assert label not in notice.text.lower() and label not in notice.subject.lower()


def test_bundle_digest_and_ops_notices_name_every_inquiry(make_result: Factory) -> None:
    results = [make_result(Urgency.URGENT) for _ in range(3)]
    bundle = bundle_notice(results)
    assert "3 more urgent inquiries waiting" in bundle.short
    digest = digest_notice(results, "2025-03-05")
    ops = ops_notice(results[0], str(results[0].submission_id), "smtp down\r\nX: y")
    for result in results:
        assert (
            str(result.submission_id) in bundle.short and str(result.submission_id) in digest.text
        )
    assert "\n" not in ops.subject and "smtp down X: y" in ops.text
