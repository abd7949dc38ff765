"""The intake's HTML: the example form page, the thank-you page, error pages.

The form page carries both forms with the API's own field names, so an
organisation can copy its markup into its own site. It works with JavaScript
off (a plain POST, a 303 to the thank-you page, or this page again with the
person's values kept and the errors next to the fields) and is enhanced by
/static/form.js when JavaScript is on. No inline script or style anywhere:
the pages are served with a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from uuid import uuid4

from intake.errors import FieldError
from intake.field_markup import field_html
from intake.form_fields import FORM_FIELDS, TITLES, FormField
from intake.idempotency import FORM_FIELD
from shared.forms import (
    FormKind,
)

EMERGENCY = "If someone is in danger now, call 911 (or 988 for a mental-health crisis)."
_EMERGENCY_MORE = "This form is not an emergency service and is not watched around the clock."


@dataclass(frozen=True)
class Submitted:
    """What a person posted, kept to fill the form in again after an error."""

    form: FormKind
    values: Mapping[str, object]


@dataclass(frozen=True)
class Assets:
    """Where the page finds its stylesheet and script (versioned URLs)."""

    stylesheet: str = "/static/form.css"
    script: str = "/static/form.js"


class FormPage:
    """Renders the example page with both forms, optionally filled in with errors."""

    def __init__(
        self, form_paths: Mapping[FormKind, str], honeypot_field: str, assets: Assets
    ) -> None:
        self._paths = dict(form_paths)
        self._honeypot = honeypot_field
        self.assets = assets

    def render(
        self,
        submitted: Submitted | None = None,
        errors: Sequence[FieldError] = (),
        retry_after: str | None = None,
    ) -> str:
        title = "Please correct the form" if errors else "Contact us"
        sections = "\n".join(
            self._section(
                kind,
                submitted.values if submitted and submitted.form is kind else {},
                errors if submitted and submitted.form is kind else (),
                retry_after,
            )
            for kind in FormKind
        )
        nav = (
            '<nav class="jump" aria-label="Forms on this page"><ul>'
            + "".join(
                f'<li><a href="#{kind.value}-title">{escape(TITLES[kind][0])}</a></li>'
                for kind in FormKind
            )
            + "</ul></nav>"
        )
        intro = (
            "<p>Write to us about ALS or LEMS: a member of our team reads every message "
            "and answers you personally.</p>"
        )
        return page(
            title,
            f"{intro}\n{_emergency_note()}\n{nav}\n{sections}",
            self.assets,
            heading="Contact us",
            script=True,
        )

    def _section(
        self,
        kind: FormKind,
        values: Mapping[str, object],
        errors: Sequence[FieldError],
        retry_after: str | None,
    ) -> str:
        heading, blurb, button = TITLES[kind]
        fields = FORM_FIELDS[kind]
        by_field: dict[str, list[str]] = {}
        for error in errors:
            if error.field is not None:
                by_field.setdefault(error.field, []).append(error.message)
        controls = "\n".join(
            field_html(kind, field, values.get(field.name), by_field.get(field.name, []))
            for field in fields
        )
        honeypot = (
            '<div class="hp" aria-hidden="true">'
            f'<label for="{kind.value}-{escape(self._honeypot)}">Leave this field empty</label>'
            f'<input id="{kind.value}-{escape(self._honeypot)}" '
            f'name="{escape(self._honeypot)}" type="text" tabindex="-1" autocomplete="off">'
            "</div>"
        )
        return (
            f'<section class="card" aria-labelledby="{kind.value}-title">\n'
            f'<h2 id="{kind.value}-title">{escape(heading)}</h2>\n'
            f'<p class="blurb">{escape(blurb)}</p>\n'
            f'<form id="{kind.value}-form" class="intake-form" method="post" '
            f'action="{escape(self._paths[kind])}" accept-charset="utf-8" '
            f'data-intake-form="{kind.value}">\n'
            f"{_summary(kind, fields, errors, retry_after)}\n"
            '<p class="required-note">Fields marked <span class="req">(required)</span> '
            "must be filled in.</p>\n"
            f"{controls}\n{honeypot}\n"
            f'<input type="hidden" name="{FORM_FIELD}" value="{uuid4()}">\n'
            '<div class="actions">'
            f'<button type="submit" class="button">{escape(button)}</button>'
            "</div>\n"
            f'<p class="form-status" id="{kind.value}-status" role="status" '
            'aria-live="polite"></p>\n'
            "</form>\n"
            f'<div class="thanks" id="{kind.value}-thanks" tabindex="-1" hidden>\n'
            "<h3>Thank you, we received your message</h3>\n"
            "<p>A member of our team will answer you personally.</p>\n"
            f'<p class="emergency-inline">{escape(EMERGENCY)}</p>\n'
            '<button type="button" class="button secondary" data-action="again">'
            "Send another message</button>\n"
            "</div>\n"
            "</section>"
        )


def _summary(
    kind: FormKind,
    fields: Sequence[FormField],
    errors: Sequence[FieldError],
    retry_after: str | None,
) -> str:
    spoken = {field.name: field.spoken for field in fields}
    items = []
    for error in errors:
        if error.field in spoken:
            items.append(
                f'<li><a href="#{kind.value}-{escape(error.field)}">'
                f"<strong>{escape(spoken[error.field])}</strong> "
                f"{escape(error.message)}</a></li>"
            )
        elif error.field:
            items.append(f"<li><strong>{escape(error.field)}</strong> {escape(error.message)}</li>")
        else:
            items.append(f"<li>{escape(error.message)}</li>")
    if retry_after:
        items.append(f"<li>Please try again in {escape(retry_after)} seconds.</li>")
    # role=alert is announced when it appears; autofocus moves the focus to it
    # on a page rendered by the server, and form.js focuses it likewise.
    shown = ' autofocus=""' if items else " hidden"
    return (
        f'<div class="error-summary" id="{kind.value}-errors" role="alert" tabindex="-1"'
        f"{shown}>\n<h3>There is a problem</h3>\n<ul>{''.join(items)}</ul>\n</div>"
    )


def _emergency_note() -> str:
    return (
        '<aside class="emergency" aria-label="In an emergency">'
        f"<p><strong>{escape(EMERGENCY)}</strong> {escape(_EMERGENCY_MORE)}</p></aside>"
    )


def page(
    title: str,
    body: str,
    assets: Assets | None = None,
    *,
    heading: str | None = None,
    script: bool = False,
) -> str:
    assets = assets or Assets()
    js = f'<script src="{escape(assets.script)}" defer></script>\n' if script else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{escape(assets.stylesheet)}">\n{js}'
        '</head>\n<body>\n<main class="page">\n'
        f"<h1>{escape(heading or title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def thank_you_page(assets: Assets | None = None) -> str:
    return page(
        "Thank you, we received your message",
        "<p>A member of our team will answer you personally.</p>\n" + _emergency_note(),
        assets,
    )


def invalid_form_page(errors: list[FieldError], assets: Assets | None = None) -> str:
    """The fallback when the posted values are unknown (the body was not read)."""
    items = "\n".join(
        f"<li><strong>{escape(e.field)}</strong>: {escape(e.message)}</li>"
        if e.field
        else f"<li>{escape(e.message)}</li>"
        for e in errors
    )
    return page(
        "Please correct the form",
        '<div class="error-summary" role="alert" tabindex="-1" autofocus="">\n'
        "<p>Some fields need your attention:</p>\n"
        f"<ul>\n{items}\n</ul>\n</div>\n"
        "<p>Use your browser's Back button to return to the form; "
        "what you typed is kept.</p>\n" + _emergency_note(),
        assets,
    )


def error_page(
    errors: list[FieldError], retry_after: str | None, assets: Assets | None = None
) -> str:
    items = "".join(f"<p>{escape(e.message)}</p>" for e in errors)
    wait = (
        f"<p>Please try again in {escape(retry_after)} seconds; "
        "your browser's Back button returns you to the form with what you typed.</p>"
        if retry_after
        else ""
    )
    return page(
        "We could not receive your message",
        f'<div class="error-summary" role="alert">{items}</div>\n{wait}\n' + _emergency_note(),
        assets,
    )
