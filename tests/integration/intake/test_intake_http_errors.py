"""What the intake refuses over real HTTP, and how it says so: malformed,
oversized and unsupported bodies, every bad field named, rate limits, bad
idempotency keys, unknown paths and methods, all as JSON errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.intake.intake_support import CONTACT, Client, MakeClient, multipart

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def fields_of(errors: list[dict[str, Any]]) -> set[str | None]:
    return {error["field"] for error in errors}


async def test_a_file_part_is_refused_by_name(client: Client) -> None:
    form = multipart(CONTACT)
    form.add_field("attachment", b"%PDF-1.4", filename="scan.pdf")
    response = await client.post("/v1/forms/contact", data=form)
    assert response.status == 422
    assert fields_of((await response.json())["errors"]) == {"attachment"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"name": "x",', "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"name": "\xff\xfe"}', "application/json"),
        (b"name=%FF%FE&email=a", "application/x-www-form-urlencoded"),
        (b"no boundary here", "multipart/form-data; boundary=zzz"),
    ],
)
async def test_malformed_bodies_are_400(client: Client, body: bytes, content_type: str) -> None:
    response = await client.post(
        "/v1/forms/contact", data=body, headers={"Content-Type": content_type}
    )
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] is None


async def test_oversized_body_is_413(client: Client) -> None:
    response = await client.post("/v1/forms/contact", json={**CONTACT, "message": "x" * 70_000})
    assert response.status == 413
    assert (await response.json())["errors"][0]["field"] is None


async def test_chunked_oversized_body_is_413(client: Client) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 8192

    response = await client.post(
        "/v1/forms/contact", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413


async def test_other_content_types_are_415(client: Client) -> None:
    response = await client.post(
        "/v1/forms/contact", data=b"hello", headers={"Content-Type": "text/plain"}
    )
    assert response.status == 415
    assert "errors" in await response.json()


async def test_422_names_every_bad_contact_field(client: Client) -> None:
    posted = {
        "name": "Eve\r\nBcc: victim@example.org",
        "email": "not-an-email",
        "phone": "call me\x07",
        "subject": "s" * 201,
        "message": "m" * 10_001,
        "favourite_colour": "blue",
    }
    response = await client.post("/v1/forms/contact", json=posted)
    assert response.status == 422
    errors = (await response.json())["errors"]
    assert fields_of(errors) == set(posted)
    assert all(error["message"] for error in errors)


async def test_422_names_missing_enum_and_non_string_profile_fields(client: Client) -> None:
    posted: dict[str, Any] = {
        "name": 42,
        "email": "sam@example.org",
        "diagnosis": "flu",
        "contact_preference": ["email"],
        "message": "",
    }
    response = await client.post("/v1/forms/profile", json=posted)
    assert response.status == 422
    errors = {e["field"]: e["message"] for e in (await response.json())["errors"]}
    assert set(errors) == {"name", "role", "diagnosis", "contact_preference", "message"}
    assert errors["role"] == "is required"
    assert errors["message"] == "is required"
    assert errors["name"] == "must be a string"


async def test_rate_limit_answers_429_with_retry_after(make_client: MakeClient) -> None:
    client = await make_client(intake_rate_limit_burst=2, intake_rate_limit_per_minute=1.0)
    statuses = []
    for _ in range(3):
        response = await client.post("/v1/forms/contact", json={})
        statuses.append(response.status)
    assert statuses[:2] == [422, 422]
    assert statuses[2] == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert (await response.json())["errors"][0]["field"] is None


async def test_an_overlong_idempotency_key_is_422(client: Client) -> None:
    response = await client.post(
        "/v1/forms/contact", json=CONTACT, headers={"Idempotency-Key": "k" * 201}
    )
    assert response.status == 422
    assert fields_of((await response.json())["errors"]) == {"Idempotency-Key"}


async def test_unknown_paths_and_methods_answer_json_errors(client: Client) -> None:
    missing = await client.get("/nope")
    wrong = await client.get("/v1/forms/contact")
    assert (missing.status, wrong.status) == (404, 405)
    for response in (missing, wrong):
        assert (await response.json())["errors"][0]["field"] is None
