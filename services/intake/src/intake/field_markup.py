"""The markup of one form field: label, hint, error message and control.

The hint and the error are tied to the control with aria-describedby, and a
field with an error is marked aria-invalid, so a screen reader announces
them with the field; /static/form.js fills in the same elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from intake.form_fields import FormField
from shared.forms import FIELDS_BY_FORM, FormKind


def field_html(kind: FormKind, field: FormField, value: object, errors: list[str]) -> str:
    required = field.name in _required(kind)
    base = f"{kind.value}-{field.name}"
    text = value if isinstance(value, str) else ""
    described = []
    hint = ""
    if field.hint:
        hint = f'<p class="hint" id="{base}-hint">{escape(field.hint)}</p>'
        described.append(f"{base}-hint")
    error_text = " ".join(f"{_capital(field.spoken)} {message}" for message in errors)
    error = (
        f'<p class="field-error" id="{base}-error"'
        + ("" if errors else " hidden")
        + '><span class="visually-hidden">Error: </span>'
        + f'<span class="field-error-text">{escape(error_text)}</span></p>'
    )
    if errors:
        described.append(f"{base}-error")
    attrs = _attrs(
        {
            "aria-describedby": " ".join(described) or None,
            "aria-invalid": "true" if errors else None,
            "required": "" if required else None,
        }
    )
    mark = ' <span class="req">(required)</span>' if required else ""
    label_text = f"{escape(field.label)}{mark}"
    wrapper = f'<div class="field{" has-error" if errors else ""}" data-field="{field.name}"'
    wrapper += f' data-spoken="{escape(field.spoken)}">'
    if field.kind == "radio":
        choices = "\n".join(
            f'<div class="choice"><input type="radio" id="{base}-{option}" '
            f'name="{field.name}" value="{option}"'
            + (" checked" if text == option else "")
            + (" required" if required else "")
            + f'><label for="{base}-{option}">{escape(label)}</label></div>'
            for option, label in field.options
        )
        fieldset_attrs = _attrs(
            {
                "id": base,
                "aria-describedby": " ".join(described) or None,
                "aria-invalid": "true" if errors else None,
            }
        )
        return (
            f"{wrapper}<fieldset{fieldset_attrs}>\n<legend>{label_text}</legend>\n"
            f"{hint}{error}\n{choices}\n</fieldset></div>"
        )
    label = f'<label for="{base}">{label_text}</label>'
    if field.kind == "select":
        options = '<option value="">Choose one</option>' + "".join(
            f'<option value="{option}"' + (" selected" if text == option else "") + ">"
            f"{escape(name)}</option>"
            for option, name in field.options
        )
        control = f'<select id="{base}" name="{field.name}"{attrs}>{options}</select>'
    elif field.kind == "textarea":
        control = (
            f'<textarea id="{base}" name="{field.name}" rows="6"'
            f"{_attrs({'maxlength': str(field.max_length), 'autocomplete': field.autocomplete})}"
            f"{attrs}>{escape(text)}</textarea>"
        )
    else:
        extra = _attrs(
            {
                "maxlength": str(field.max_length) if field.max_length else None,
                "autocomplete": field.autocomplete,
                "spellcheck": "false" if field.kind in ("email", "tel") else None,
                "value": text or None,
            }
        )
        control = f'<input id="{base}" name="{field.name}" type="{field.kind}"{extra}{attrs}>'
    return f"{wrapper}\n{label}\n{hint}{error}\n{control}\n</div>"


def _required(kind: FormKind) -> frozenset[str]:
    return frozenset(
        name for name, info in FIELDS_BY_FORM[kind].model_fields.items() if info.is_required()
    )


def _attrs(values: Mapping[str, str | None]) -> str:
    return "".join(
        f" {name}" if value == "" else f' {name}="{escape(value)}"'
        for name, value in values.items()
        if value is not None
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
