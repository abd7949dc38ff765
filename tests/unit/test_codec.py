"""Events to bytes and back: what a consumer accepts from the broker."""

from __future__ import annotations

from uuid import uuid4

import orjson
import pytest

from shared.codec import ContractError, decode, encode
from shared.contracts import Submission
from shared.forms import ContactFields, FormKind


def submission_bytes(**fields: str) -> bytes:
    valid = ContactFields(name="Ana", email="Ana@Example.ORG", message="Hello")
    event = orjson.loads(encode(Submission(id=uuid4(), form=FormKind.CONTACT, fields=valid)))
    event["fields"].update(fields)
    return orjson.dumps(event)


def test_an_event_round_trips() -> None:
    event = decode(Submission, submission_bytes())
    assert event.fields.email == "Ana@example.org"  # normalized once, by the producer


def test_a_consumer_does_not_check_the_address_syntax_again() -> None:
    # The intake normalized it; checking again cost every consumer ~10% of its CPU.
    assert decode(Submission, submission_bytes(email="as the intake wrote it")).fields.email


@pytest.mark.parametrize(
    "fields",
    [{"email": "a@example.org\r\nBcc: x@example.org"}, {"name": "Ana\nBcc: x"}, {"message": ""}],
)
def test_line_breaks_and_empty_fields_are_still_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ContractError):
        decode(Submission, submission_bytes(**fields))


def test_an_unknown_schema_version_is_refused_by_name() -> None:
    event = orjson.loads(submission_bytes())
    event["schema_version"] = 99
    with pytest.raises(ContractError, match="schema version 99"):
        decode(Submission, orjson.dumps(event))
