"""Minimal accessible HTML pages for people posting a form without JavaScript."""

from __future__ import annotations

from html import escape

from intake.errors import FieldError

_EMERGENCY = (
    "If this is an emergency, call 911 now. If you are thinking about suicide or "
    "self-harm, call or text 988 (Suicide &amp; Crisis Lifeline)."
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(title)}</h1>\n{body}\n<p>{_EMERGENCY}</p>\n</main>\n</body>\n</html>\n"
    )


def thank_you_page() -> str:
    return _page(
        "Thank you, we received your message",
        "<p>A member of our team will answer you personally.</p>",
    )


def invalid_form_page(errors: list[FieldError]) -> str:
    items = "\n".join(
        f"<li><strong>{escape(e.field)}</strong>: {escape(e.message)}</li>"
        if e.field
        else f"<li>{escape(e.message)}</li>"
        for e in errors
    )
    return _page(
        "Please correct the form",
        '<div role="alert">\n<p>Some fields need your attention:</p>\n'
        f"<ul>\n{items}\n</ul>\n</div>\n"
        "<p>Use your browser's Back button to return to the form; "
        "what you typed is kept.</p>",
    )


def error_page(errors: list[FieldError], retry_after: str | None) -> str:
    items = "".join(f"<p>{escape(e.message)}</p>" for e in errors)
    wait = (
        f"<p>Please try again in {escape(retry_after)} seconds; "
        "your browser's Back button returns you to the form with what you typed.</p>"
        if retry_after
        else ""
    )
    return _page("We could not receive your message", f'<div role="alert">{items}</div>\n{wait}')
