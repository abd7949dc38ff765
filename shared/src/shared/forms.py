"""The two web forms' fields, as validated input models.

The same models validate the HTTP input in the intake and travel inside the
`Submission` event, so the producer and every consumer agree on one shape.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
)

MAX_LINE = 200
MAX_MESSAGE = 10_000

# Any C0/C1 control character or DEL; tab and newlines are allowed only in
# the multi-line message, never in single-line fields (header injection).
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates: in a name or subject they
# reorder what staff read in an email subject or a text ("Trojan source").
_DIRECTION_IN_LINE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")


def _single_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line (no line breaks)")
    if _CONTROL_IN_LINE.search(value):
        raise ValueError("must not contain control characters")
    if _DIRECTION_IN_LINE.search(value):
        raise ValueError("must not contain text-direction control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL_IN_TEXT.search(value):
        raise ValueError("must not contain control characters")
    return value


# Validation context of an event read back from the broker (shared.codec):
# its address was normalized by the intake that produced it.
FROM_EVENT = "from_event"


def _email(value: str, info: ValidationInfo) -> str:
    if info.context is not None and info.context.get(FROM_EVENT):
        # Checking the syntax again in every consumer cost ~10% of triage's CPU
        # per message; the single-line and length checks still apply.
        return value
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    return checked.normalized


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 6:
        raise ValueError("is not a valid phone number (digits, spaces, + ( ) . - only)")
    return value


Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LINE),
    AfterValidator(_single_line),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE),
    AfterValidator(_multi_line),
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254),
    AfterValidator(_single_line),
    AfterValidator(_email),
    Field(json_schema_extra={"format": "email"}),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40),
    AfterValidator(_single_line),
    AfterValidator(_phone),
]


class FormKind(StrEnum):
    CONTACT = "contact"
    PROFILE = "profile"


class Role(StrEnum):
    PATIENT = "patient"
    CAREGIVER = "caregiver"
    FAMILY = "family"
    FRIEND = "friend"
    PROFESSIONAL = "professional"
    OTHER = "other"


class Diagnosis(StrEnum):
    ALS = "als"
    LEMS = "lems"
    OTHER = "other"
    UNKNOWN = "unknown"


class ContactPreference(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class _Fields(BaseModel):
    # extra="forbid" keeps the two forms' shapes disjoint and tells a client
    # which field it sent by mistake.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: Line
    email: Email
    phone: Phone | None = None
    message: Text


class ContactFields(_Fields):
    """The contact ("email") form."""

    subject: Line | None = None


class ProfileFields(_Fields):
    """The online profile ("get help now") form."""

    role: Role
    diagnosis: Diagnosis
    contact_preference: ContactPreference
    location: Line | None = None


FormFields = ContactFields | ProfileFields

FIELDS_BY_FORM: dict[FormKind, type[ContactFields] | type[ProfileFields]] = {
    FormKind.CONTACT: ContactFields,
    FormKind.PROFILE: ProfileFields,
}
