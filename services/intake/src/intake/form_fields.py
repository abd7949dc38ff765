"""The fields of the example page's two forms: labels, hints, input kinds.

Names are the API's own (shared.forms), so the markup can be copied into an
organisation's site and post straight to the intake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from shared.forms import (
    MAX_LINE,
    MAX_MESSAGE,
    ContactPreference,
    Diagnosis,
    FormKind,
    Role,
)

Kind = Literal["text", "email", "tel", "textarea", "select", "radio"]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind
    spoken: str  # how a message names the field: "<spoken> is required"
    autocomplete: str | None = None
    hint: str | None = None
    max_length: int | None = MAX_LINE
    options: tuple[tuple[str, str], ...] = ()


def _options(enum: type[StrEnum], labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((member.value, labels[member.value]) for member in enum)


_NAME = FormField("name", "Your name", "text", "name", autocomplete="name")
_EMAIL = FormField(
    "email",
    "Email address",
    "email",
    "email",
    autocomplete="email",
    hint="We only use it to answer you.",
    max_length=254,
)
_PHONE = FormField(
    "phone",
    "Phone number",
    "tel",
    "phone",
    autocomplete="tel",
    hint="Digits, spaces and + ( ) . - only.",
    max_length=40,
)
_MESSAGE = FormField(
    "message", "Your message", "textarea", "message", autocomplete="off", max_length=MAX_MESSAGE
)

FORM_FIELDS: dict[FormKind, tuple[FormField, ...]] = {
    FormKind.CONTACT: (
        _NAME,
        _EMAIL,
        _PHONE,
        FormField("subject", "Subject", "text", "subject", autocomplete="off"),
        _MESSAGE,
    ),
    FormKind.PROFILE: (
        _NAME,
        _EMAIL,
        _PHONE,
        FormField(
            "contact_preference",
            "How should we contact you?",
            "radio",
            "contact preference",
            max_length=None,
            options=_options(ContactPreference, {"email": "By email", "phone": "By phone"}),
        ),
        FormField(
            "role",
            "Who are you?",
            "select",
            "role",
            max_length=None,
            options=_options(
                Role,
                {
                    "patient": "I am living with ALS or LEMS",
                    "caregiver": "I care for someone",
                    "family": "Family member",
                    "friend": "Friend",
                    "professional": "Health or care professional",
                    "other": "Other",
                },
            ),
        ),
        FormField(
            "diagnosis",
            "Diagnosis",
            "select",
            "diagnosis",
            max_length=None,
            options=_options(
                Diagnosis,
                {
                    "als": "ALS",
                    "lems": "LEMS",
                    "other": "Another condition",
                    "unknown": "Not sure / not diagnosed yet",
                },
            ),
        ),
        FormField(
            "location",
            "Where do you live?",
            "text",
            "location",
            autocomplete="address-level2",
            hint="City and state, so we can point you to local help.",
        ),
        _MESSAGE,
    ),
}

TITLES = {
    FormKind.CONTACT: (
        "Send us a message",
        "Questions about care, equipment, research or anything else.",
        "Send message",
    ),
    FormKind.PROFILE: (
        "Get help now",
        "Tell us a little about you and we will reach out to you.",
        "Ask for help",
    ),
}
