"""The example form page's markup, rendered without a server."""

from __future__ import annotations

import re

from intake.errors import FieldError
from intake.pages import EMERGENCY, FORM_FIELDS, Assets, FormPage, Submitted
from intake.routes import FORM_PATHS
from intake.site import content_security_policy, load_static
from shared.forms import FIELDS_BY_FORM, FormKind


def render(*args: object) -> str:
    return FormPage(FORM_PATHS, "website", Assets()).render(*args)  # type: ignore[arg-type]


def test_every_api_field_is_on_the_page_with_a_label() -> None:
    page = render()
    for kind in FormKind:
        assert {f.name for f in FORM_FIELDS[kind]} == set(FIELDS_BY_FORM[kind].model_fields)
        assert f'action="/v1/forms/{kind.value}"' in page
        for field in FORM_FIELDS[kind]:
            assert f'name="{field.name}"' in page
            if field.kind == "radio":
                assert f'id="{kind.value}-{field.name}"' in page  # the fieldset
            else:
                assert f'<label for="{kind.value}-{field.name}">' in page


def test_required_fields_are_marked_in_words_and_attributes() -> None:
    page = render()
    email = re.search(r'<input id="contact-email"[^>]*>', page)
    phone = re.search(r'<input id="contact-phone"[^>]*>', page)
    assert email and " required" in email.group(0)
    assert phone and " required" not in phone.group(0)
    assert 'Email address <span class="req">(required)</span>' in page


def test_the_honeypot_is_hidden_from_people_and_assistive_tech() -> None:
    page = render()
    assert '<div class="hp" aria-hidden="true">' in page
    assert (
        '<input id="contact-website" name="website" type="text" tabindex="-1" '
        'autocomplete="off">' in page
    )


def test_each_page_view_carries_a_new_key_so_a_double_click_is_one_submission() -> None:
    keys = re.findall(r'<input type="hidden" name="idempotency_key" value="([^"]+)">', render())
    again = re.findall(r'<input type="hidden" name="idempotency_key" value="([^"]+)">', render())
    assert len(keys) == len(FormKind) and len(set(keys + again)) == 2 * len(FormKind)


def test_no_inline_script_or_style_and_the_emergency_note() -> None:
    page = render()
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert EMERGENCY in page
    assert '<html lang="en">' in page


def test_errors_are_shown_next_to_their_fields_with_the_values_kept() -> None:
    submitted = Submitted(
        FormKind.PROFILE,
        {"name": '"><script>x</script>', "email": "bad", "role": "friend", "website": "bait"},
    )
    errors = [
        FieldError(field="email", message="is not a valid email address"),
        FieldError(field="contact_preference", message="is required"),
        FieldError(field="colour", message="is not a field of this form"),
    ]
    page = render(submitted, errors, None)
    assert "<script>x" not in page
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
    assert '<option value="friend" selected>' in page
    email = re.search(r'<input id="profile-email"[^>]*>', page)
    assert email is not None
    assert 'aria-invalid="true"' in email.group(0)
    assert 'aria-describedby="profile-email-hint profile-email-error"' in email.group(0)
    assert "Email is not a valid email address" in page
    summary = re.search(r'<div class="error-summary" id="profile-errors"[^>]*>', page)
    assert summary and 'role="alert"' in summary.group(0) and "autofocus" in summary.group(0)
    assert '<a href="#profile-email"><strong>email</strong> is not a valid' in page
    assert "<strong>colour</strong> is not a field of this form" in page
    assert "bait" not in page
    # The other form is untouched.
    contact = re.search(r'<div class="error-summary" id="contact-errors"[^>]*>', page)
    assert contact and " hidden" in contact.group(0)


def test_the_policy_allows_an_absolute_thank_you_origin_for_the_redirect() -> None:
    assert "form-action 'self';" in content_security_policy("/v1/thanks")
    csp = content_security_policy("https://www.example.org/thank-you")
    assert "form-action 'self' https://www.example.org;" in csp
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


def test_static_files_ship_in_the_package() -> None:
    files = load_static()
    assert b"Idempotency-Key" in files["form.js"].body
    assert b"randomUUID" in files["form.js"].body
    assert files["form.css"].content_type.startswith("text/css")
