"""What each alert says, for every channel: pure functions of the result.

Staff email quotes the submission in full and says why it was raised; SMS,
voice and chat carry only what lets someone act (urgency, first name, a
callback number, the inquiry id), never health details or the message.
Everything from the submitter is escaped for HTML and stripped of line breaks
wherever it lands in a single line.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from shared.contracts import TriageResult, Urgency

_SUBJECT_MAX = 40


@dataclass(frozen=True)
class Notice:
    """One alert rendered for every channel; each channel takes what it uses."""

    subject: str
    text: str
    html: str
    short: str  # SMS and chat: no health details, no message text
    spoken: str  # voice: a sentence to read out


def one_line(value: str, limit: int = _SUBJECT_MAX) -> str:
    """Drop control and line-break characters, collapse spaces, cut to `limit`."""
    if value.isprintable():
        # No control or separator characters but the ASCII space (the usual
        # case): skip the per-character walk, a tenth of rendering an alert.
        return " ".join(value.split())[:limit]
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in value)
    return re.sub(r"\s+", " ", cleaned).strip()[:limit]


def first_name(result: TriageResult) -> str:
    parts = one_line(result.submission.fields.name, 200).split(" ")
    return parts[0][:_SUBJECT_MAX] or "someone"


def callback(result: TriageResult) -> str:
    phone = result.submission.fields.phone
    return one_line(phone, 40) if phone else ""


def _short_id(result: TriageResult) -> str:
    return str(result.submission_id)


def _field_lines(result: TriageResult) -> list[tuple[str, str]]:
    sub = result.submission
    fields = sub.fields.model_dump(mode="json", exclude_none=True)
    rows = [("submission id", str(result.submission_id)), ("form", sub.form.value)]
    rows.append(("received at", sub.received_at.isoformat(timespec="seconds")))
    rows.extend((key, str(value)) for key, value in fields.items() if key != "message")
    rows.append(("message", str(fields.get("message", ""))))
    return rows


def _why(result: TriageResult) -> list[str]:
    lines = [
        f"urgency: {result.urgency.value} (confidence {result.score:.2f})",
        f"topic: {result.topic.value}"
        + (f" (also {', '.join(t.value for t in result.topics[1:])})" if result.topics[1:] else ""),
    ]
    for reason in result.reasons:
        evidence = f' - "{one_line(reason.evidence, 200)}"' if reason.evidence else ""
        lines.append(f"{reason.rule}: {reason.effect}{evidence}")
    return lines


def _headline(result: TriageResult) -> str:
    return f"{result.urgency.value.upper()} inquiry {_short_id(result)}"


def staff_notice(result: TriageResult) -> Notice:
    name, phone = first_name(result), callback(result)
    subject = (
        f"[{result.urgency.value.upper()}] {result.topic.value}: {name} ({result.submission_id})"
    )
    act = _action(result, phone)
    text = _text_body([_headline(result), act], _why(result), [result])
    body_html = _html_body([_headline(result), act], _why(result), [result])
    reach = f"call back {phone}" if phone else "reply by email"
    short = f"{result.urgency.value.upper()}: inquiry from {name}, {reach}. Id {_short_id(result)}."
    spoken = (
        f"{result.urgency.value} inquiry from {name}. "
        + (f"Call back {_spell(phone)}. " if phone else "Please check your email now. ")
        + f"Inquiry {str(result.submission_id)[:8]}. Details are in your email."
    )
    return Notice(subject, text, body_html, short, spoken)


def _action(result: TriageResult, phone: str) -> str:
    if result.urgency is Urgency.EMERGENCY:
        return f"Act now: {'phone ' + phone if phone else 'no phone given, email them'}."
    if result.urgency is Urgency.URGENT:
        return "A person should answer today."
    return "Reply within 1-2 business days."


def _spell(phone: str) -> str:
    """Digits one by one, so a voice reads '5 5 5' rather than 'five hundred...'."""
    return " ".join(ch for ch in phone if ch.isdigit() or ch == "+").replace("+", "plus")


def bundle_notice(results: Sequence[TriageResult]) -> Notice:
    """One message for several held or throttled alerts, never a silent drop."""
    top = max(results, key=lambda r: r.urgency.rank).urgency.value
    count = len(results)
    ids = ", ".join(str(r.submission_id) for r in results)
    headline = f"{count} more {top} inquiries waiting"
    text = _text_body([headline], [], results)
    return Notice(
        subject=f"[{top.upper()}] {headline}",
        text=text,
        html=_html_body([headline], [], results),
        short=f"{headline}. Ids: {ids}. Details by email."[:1500],
        spoken=f"{headline}. Details are in your email.",
    )


def digest_notice(results: Sequence[TriageResult], day: str) -> Notice:
    headline = f"Daily digest for {day}: {len(results)} low-urgency inquiries"
    return Notice(
        subject=f"[DIGEST] {day}: {len(results)} inquiries",
        text=_text_body([headline], [], results),
        html=_html_body([headline], [], results),
        short=headline,
        spoken=headline,
    )


def ops_notice(result: TriageResult | None, message_id: str, reason: str) -> Notice:
    """To ops when a result could not be delivered: it is in the dead-letter queue."""
    headline = f"Alert for inquiry {message_id} was dead-lettered: {one_line(reason, 300)}"
    steps = "Check notifier.*.dead and alert the staff by hand."
    items = [result] if result else []
    return Notice(
        subject=f"[NOTIFIER] undelivered alert for inquiry {one_line(message_id, 60)}",
        text=_text_body([headline, steps], [], items),
        html=_html_body([headline, steps], [], items),
        short=headline,
        spoken=headline,
    )


def unanswered_notice(result: TriageResult) -> Notice:
    """To ops when every call about an emergency went unanswered."""
    sid = str(result.submission_id)
    headline = f"Nobody answered the emergency calls for inquiry {sid}"
    steps = "Phone the on-call staff and the person who wrote in now; the inquiry is below."
    return Notice(
        subject=f"[NOTIFIER] emergency call unanswered for inquiry {sid}",
        text=_text_body([headline, steps], [], [result]),
        html=_html_body([headline, steps], [], [result]),
        short=headline,
        spoken=headline,
    )


def ack_notice(result: TriageResult) -> Notice:
    """To the submitter: no urgency, topic or reasons, ever."""
    name = first_name(result)
    paragraphs = [f"Dear {name},", "Thank you for writing to us. We received your message."]
    if result.urgency is Urgency.EMERGENCY:
        paragraphs.append(
            "If you or someone with you is in danger now, call 911 now. If you are thinking "
            "about suicide or are in a mental-health crisis, call or text 988 now. "
            "Do not wait for our reply."
        )
    paragraphs.append("A member of our team will get back to you.")
    paragraphs.append(f"Your reference: {result.submission_id}")
    text = "\n\n".join(paragraphs) + "\n"
    body_html = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return Notice(
        subject="We received your message",
        text=text,
        html=f"<!doctype html><html><body>{body_html}</body></html>",
        short=paragraphs[1],
        spoken=paragraphs[1],
    )


def _text_body(head: list[str], why: list[str], results: Sequence[TriageResult]) -> str:
    out = [*head, ""]
    if why:
        out += ["Why this alert:", *(f"  - {line}" for line in why), ""]
    for result in results:
        out.append(f"--- {result.urgency.value} / {result.topic.value} ---")
        for key, value in _field_lines(result):
            if key == "message":
                out += ["message:", *(f"  {line}" for line in value.splitlines())]
            else:
                out.append(f"{key}: {value}")
        out.append("")
    return "\n".join(out)


def _html_body(head: list[str], why: list[str], results: Sequence[TriageResult]) -> str:
    esc = html.escape
    out = ["<!doctype html><html><body>", *(f"<p><strong>{esc(h)}</strong></p>" for h in head)]
    if why:
        items = "".join(f"<li>{esc(line)}</li>" for line in why)
        out.append(f"<p>Why this alert:</p><ul>{items}</ul>")
    for result in results:
        out.append(f"<h3>{esc(result.urgency.value)} / {esc(result.topic.value)}</h3><table>")
        for key, value in _field_lines(result):
            cell = (
                f'<pre style="white-space:pre-wrap">{esc(value)}</pre>'
                if key == "message"
                else esc(value)
            )
            out.append(f"<tr><th align=left>{esc(key)}</th><td>{cell}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)
