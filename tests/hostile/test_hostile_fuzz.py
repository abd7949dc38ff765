"""Generated input: hypothesis on the form models, in process and over HTTP
against the running intake."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from intake.errors import field_errors
from shared.forms import FIELDS_BY_FORM, ContactFields, FormKind, ProfileFields
from tests.hostile.hostile_support import VALID
from tests.support.pii import PERSONAL_KEYS, Sensitive

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(120)]

# ------------------------------------------------------------- the form models

TEXT = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["", " ", "\r\n", "<script>x</script>", "\u202e", "\x00", "a@b.c"]
)
VALUE = TEXT | st.none() | st.integers() | st.floats() | st.booleans() | st.lists(TEXT, max_size=2)
KEYS = st.sampled_from(
    [
        "name",
        "email",
        "phone",
        "subject",
        "message",
        "role",
        "diagnosis",
        "contact_preference",
        "location",
    ]
) | st.text(max_size=20)
FIELDS = st.dictionaries(KEYS, VALUE, max_size=10)


def _near_valid(form: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid form with some fields replaced, removed or added."""
    return st.builds(
        lambda changes, dropped: {
            **{k: v for k, v in VALID[form].items() if k not in dropped},
            **changes,
        },
        st.dictionaries(KEYS, VALUE, max_size=3),
        st.sets(st.sampled_from(sorted(VALID[form])), max_size=2),
    )


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(form=st.sampled_from(list(FormKind)), data=st.data())
def test_form_models_accept_or_name_every_bad_field(form: FormKind, data: st.DataObject) -> None:
    fields = data.draw(FIELDS | _near_valid(form.value))
    model = FIELDS_BY_FORM[form]
    try:
        valid = model.model_validate(fields)
    except ValidationError as exc:
        errors = field_errors(exc)
        assert errors
        for error in errors:
            assert error.field is not None and error.message
            assert error.field in fields or error.field in model.model_fields
        return
    assert isinstance(valid, ContactFields | ProfileFields)
    for key in ("name", "email", "message"):
        value = getattr(valid, key)
        assert value == value.strip() and value
        assert "\r" not in value and "\x00" not in value
    # A valid form travels in the event and comes back the same.
    assert model.model_validate_json(valid.model_dump_json()) == valid


def test_form_models_over_http_never_5xx_and_name_every_bad_field(
    intake_url: str, sensitive: Sensitive
) -> None:
    http = requests.Session()

    @settings(
        max_examples=100,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        form=st.sampled_from(["contact", "profile"]),
        encoding=st.sampled_from(["json", "urlencoded", "multipart"]),
        data=st.data(),
    )
    def run(form: str, encoding: str, data: st.DataObject) -> None:
        fields = data.draw(_near_valid(form) | FIELDS)
        if encoding != "json":
            # Form encodings carry strings only.
            fields = {k: v for k, v in fields.items() if isinstance(v, str)}
        sensitive.add_fields({k: v for k, v in fields.items() if k in PERSONAL_KEYS})
        url = f"{intake_url}/v1/forms/{form}"
        headers = {"Accept": "application/json"}
        try:
            if encoding == "json":
                response = http.post(url, json=fields, headers=headers, timeout=10)
            elif encoding == "urlencoded":
                response = http.post(url, data=fields, headers=headers, timeout=10)
            else:
                files = {k: (None, v.encode("utf-8", "surrogatepass")) for k, v in fields.items()}
                response = http.post(url, files=files, headers=headers, timeout=10)
        except (UnicodeEncodeError, ValueError):
            return  # the client library cannot send it (lone surrogates)
        assert response.status_code < 500, response.text
        if response.status_code == 202:
            return
        assert 400 <= response.status_code < 500
        body = json.loads(response.text)
        if response.status_code == 422:
            for error in body["errors"]:
                assert error["field"] is not None and error["message"], body

    run()
