"""Content negotiation, settings parsing and the generated OpenAPI document."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from intake.openapi import openapi_document
from intake.responses import wants_html
from intake.settings import IntakeSettings


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0", False),
        ("text/html;q=bogus", False),
    ],
)
def test_only_browsers_listing_html_get_html(accept: str, html: bool) -> None:
    assert wants_html(accept) is html


def test_cors_origins_from_a_comma_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_CORS_ORIGINS", "https://a.org, https://b.org,")
    assert IntakeSettings().intake_cors_origins == ("https://a.org", "https://b.org")
    monkeypatch.setenv("INTAKE_CORS_ORIGINS", '["https://c.org"]')
    assert IntakeSettings().intake_cors_origins == ("https://c.org",)


def test_settings_are_read_from_their_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_PORT", "9001")
    monkeypatch.setenv("TRUST_FORWARDED_FOR", "true")
    monkeypatch.setenv("CLIENT_HASH_SECRET", "s3cret")
    settings = IntakeSettings()
    assert (settings.intake_port, settings.trust_forwarded_for) == (9001, True)
    assert settings.client_hash_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_every_setting_is_described() -> None:
    assert all(field.description for field in IntakeSettings.model_fields.values())


def test_unknown_variables_do_not_leak_into_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Field names are the variable names, so a generic HOST or PORT is ignored.
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("HOST", "example")
    settings = IntakeSettings()
    assert (settings.intake_host, settings.intake_port) == ("127.0.0.1", 8080)


def test_the_client_hash_secret_is_random_per_process_by_default() -> None:
    assert IntakeSettings().client_hash_secret != IntakeSettings().client_hash_secret


def test_openapi_document_is_valid() -> None:
    document = openapi_document()
    validate(document)
    responses = document["paths"]["/v1/forms/profile"]["post"]["responses"]
    assert {"202", "303", "400", "413", "415", "422", "429", "503"} <= set(responses)
