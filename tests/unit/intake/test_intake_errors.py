"""Mapping validation errors onto the API's error shape."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from intake.errors import ApiError, field_errors, unavailable
from shared.forms import ContactFields, ProfileFields


def errors_for(
    model: type[ContactFields | ProfileFields], data: dict[str, object]
) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {str(e.field): e.message for e in field_errors(caught.value)}


def test_every_bad_field_is_named_as_sent() -> None:
    errors = errors_for(
        ContactFields,
        {"name": "a\nb", "email": "x", "message": "m" * 10_001, "subject": "s\x00", "extra": "1"},
    )
    assert set(errors) == {"name", "email", "message", "subject", "extra"}
    assert errors["name"] == "must be a single line (no line breaks)"
    assert errors["extra"] == "is not a field of this form"
    assert errors["email"].startswith("is not a valid email address")


def test_missing_enum_and_type_errors() -> None:
    errors = errors_for(ProfileFields, {"name": 5, "email": "a@example.org", "role": "boss"})
    assert errors["name"] == "must be a string"
    assert errors["message"] == "is required"
    assert errors["diagnosis"] == "is required"
    assert "patient" in errors["role"]


def test_unavailable_carries_retry_after() -> None:
    error = unavailable(7)
    assert error.status == 503
    assert error.headers == {"Retry-After": "7"}
    assert error.body().model_dump() == {
        "errors": [{"field": None, "message": error.errors[0].message}]
    }


def test_whole_request_errors_have_no_field() -> None:
    assert ApiError.whole(400, "bad").body().errors[0].field is None
