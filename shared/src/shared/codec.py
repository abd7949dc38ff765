"""Turning events into bytes and back, with a readable reason when it fails."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from shared.forms import FROM_EVENT

M = TypeVar("M", bound=BaseModel)


class ContractError(ValueError):
    """A message that no retry can fix: dead-letter it with this reason."""


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


def decode(model: type[M], body: bytes) -> M:
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ContractError(f"bad JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError("bad message: not a JSON object")
    expected = model.model_fields["schema_version"].default
    if raw.get("schema_version") != expected:
        raise ContractError(f"unknown schema version {raw.get('schema_version')!r}")
    try:
        return model.model_validate(raw, context={FROM_EVENT: True})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise ContractError(f"invalid {model.__name__}: {problems}") from None
