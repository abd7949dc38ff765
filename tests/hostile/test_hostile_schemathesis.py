"""schemathesis against the running intake's own /openapi.json: positive and
negative generated bodies for both forms, in every documented media type."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.pii import Sensitive

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(120)]

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def remember(sensitive: Sensitive, body: object) -> None:
    sensitive.add_fields(body)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", ["/v1/forms/contact", "/v1/forms/profile"])
def test_schemathesis_finds_no_5xx_and_no_undocumented_answer(
    intake_url: str, sensitive: Sensitive, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{intake_url}/openapi.json")
    operation = schema[path]["POST"]
    http = requests.Session()

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        remember(sensitive, case.body)
        response = case.call(base_url=intake_url, session=http, timeout=10)
        case.validate_response(response, checks=CHECKS)
        if 400 <= response.status_code < 500 and response.status_code != 422:
            assert response.json()["errors"][0]["message"]
        if response.status_code == 422:
            # Every rejection names the field, as the client sent it.
            fields = {e["field"] for e in response.json()["errors"]}
            assert None not in fields, response.text

    run()
