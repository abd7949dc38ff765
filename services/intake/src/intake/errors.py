"""Errors the API answers with, and how pydantic's errors map onto them.

Every error body has one shape, `{"errors": [{"field": ..., "message": ...}]}`,
with `field` null when the whole request is at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ValidationError


class FieldError(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    errors: list[FieldError]


class ApiError(Exception):
    """An answer other than success, raised anywhere below the handlers."""

    def __init__(
        self,
        status: int,
        errors: Iterable[FieldError],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {[e.message for e in self.errors]}")

    @classmethod
    def whole(cls, status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiError:
        return cls(status, [FieldError(message=message)], headers)

    @classmethod
    def field(cls, name: str, message: str) -> ApiError:
        return cls(422, [FieldError(field=name, message=message)])

    def body(self) -> ErrorBody:
        return ErrorBody(errors=self.errors)


def unavailable(retry_after: int) -> ApiError:
    return ApiError.whole(
        503,
        "we could not receive your submission right now; please try again shortly",
        {"Retry-After": str(retry_after)},
    )


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this form",
    "string_type": "must be a string",
}


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One entry per problem, named by the field as the client sent it.

    Each message reads on after the field's name ("email is not a valid ..."),
    so a form can show it next to the field's label.
    """
    return [
        FieldError(
            field=_field_name(err["loc"]),
            message=_message(err["type"], err["msg"], err.get("ctx") or {}),
        )
        for err in exc.errors(include_url=False)
    ]


def _field_name(loc: tuple[int | str, ...]) -> str | None:
    # Form fields are flat, so the first location element is the field name.
    return str(loc[0]) if loc else None


def _message(kind: str, text: str, ctx: Mapping[str, object]) -> str:
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "string_too_long" and "max_length" in ctx:
        return f"must be at most {ctx['max_length']} characters"
    if kind == "string_too_short":
        # Fields are stripped first, so "too short" means only blanks were sent.
        return "is required"
    if kind == "enum" and "expected" in ctx:
        return f"must be one of {ctx['expected']}"
    return text.removeprefix("Value error, ")
