"""The intake over real HTTP, publishing to the real broker."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from intake_support import CONTACT, PROFILE, MakeClient, count_messages, take
from openapi_spec_validator import validate

from shared.forms import ContactFields, ProfileFields

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

Client = TestClient[Any, Any]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def multipart(fields: dict[str, str]) -> FormData:
    form = FormData(default_to_multipart=True)
    for key, value in fields.items():
        form.add_field(key, value)
    return form


def fields_of(errors: list[dict[str, Any]]) -> set[str | None]:
    return {error["field"] for error in errors}


async def test_json_contact_is_published_persistent_with_every_field(
    client: Client, triage_queue: AbstractQueue
) -> None:
    response = await client.post(
        "/v1/forms/contact",
        json=CONTACT,
        headers={"User-Agent": "pytest/1", "Origin": "https://www.example.org"},
    )
    assert response.status == 202
    answer = await response.json()
    assert answer["status"] == "accepted"

    message, submission = await take(triage_queue, answer["id"])
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.routing_key == "submission.contact"
    assert message.headers["schema_version"] == 1
    assert str(submission.id) == answer["id"]
    assert submission.fields == ContactFields.model_validate(CONTACT)
    assert not submission.honeypot_tripped
    client_meta = submission.client
    assert client_meta.client_hash is not None and len(client_meta.client_hash) == 64
    assert "127.0.0.1" not in message.body.decode()
    assert client_meta.user_agent == "pytest/1"
    assert client_meta.origin == "https://www.example.org"
    assert client_meta.content_type == "application/json"


async def test_urlencoded_profile_with_empty_optional_fields(
    client: Client, triage_queue: AbstractQueue
) -> None:
    posted = {**PROFILE, "phone": "", "location": "  ", "website": ""}
    response = await client.post("/v1/forms/profile", data=posted)
    assert response.status == 202, await response.text()
    _, submission = await take(triage_queue, (await response.json())["id"])
    expected = {k: v for k, v in PROFILE.items() if k not in ("phone", "location")}
    assert submission.fields == ProfileFields.model_validate(expected)
    assert submission.client.content_type == "application/x-www-form-urlencoded"


async def test_multipart_contact(client: Client, triage_queue: AbstractQueue) -> None:
    posted = {**CONTACT, "message": "Line one\r\nLine two — ¿dónde?"}
    response = await client.post("/v1/forms/contact", data=multipart(posted))
    assert response.status == 202, await response.text()
    _, submission = await take(triage_queue, (await response.json())["id"])
    assert submission.fields == ContactFields.model_validate(posted)
    assert submission.client.content_type == "multipart/form-data"


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


async def test_idempotent_retry_replays_the_answer_and_publishes_once(
    client: Client, triage_queue: AbstractQueue
) -> None:
    headers = {"Idempotency-Key": "form-session-123"}
    first = await client.post("/v1/forms/contact", json=CONTACT, headers=headers)
    second = await client.post("/v1/forms/contact", json=CONTACT, headers=headers)
    assert first.status == second.status == 202
    assert await first.json() == await second.json()
    _, submission = await take(triage_queue, (await first.json())["id"])
    assert submission.idempotency_key == "form-session-123"
    assert await count_messages(triage_queue) == 0


async def test_concurrent_duplicates_share_one_publish(
    client: Client, triage_queue: AbstractQueue
) -> None:
    headers = {"Idempotency-Key": "double-click"}
    responses = await asyncio.gather(
        *(client.post("/v1/forms/profile", json=PROFILE, headers=headers) for _ in range(5))
    )
    answers = [await r.json() for r in responses]
    assert {r.status for r in responses} == {202}
    assert len({a["id"] for a in answers}) == 1
    assert await count_messages(triage_queue) == 1


async def test_an_overlong_idempotency_key_is_422(client: Client) -> None:
    response = await client.post(
        "/v1/forms/contact", json=CONTACT, headers={"Idempotency-Key": "k" * 201}
    )
    assert response.status == 422
    assert fields_of((await response.json())["errors"]) == {"Idempotency-Key"}


async def test_honeypot_is_answered_like_success_and_flagged(
    client: Client, triage_queue: AbstractQueue
) -> None:
    response = await client.post(
        "/v1/forms/contact", json={**CONTACT, "website": "http://spam.example"}
    )
    assert response.status == 202
    _, submission = await take(triage_queue, (await response.json())["id"])
    assert submission.honeypot_tripped


async def test_honeypot_with_invalid_fields_looks_accepted_but_publishes_nothing(
    client: Client, triage_queue: AbstractQueue
) -> None:
    response = await client.post(
        "/v1/forms/contact", json={"website": "http://spam.example", "email": "nope"}
    )
    assert response.status == 202
    assert set(await response.json()) == {"id", "status"}
    assert await count_messages(triage_queue) == 0


async def test_html_form_post_is_redirected_303(
    client: Client, triage_queue: AbstractQueue
) -> None:
    response = await client.post(
        "/v1/forms/contact",
        data=CONTACT,
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "https://www.example.org/thank-you"
    assert await count_messages(triage_queue) == 1


async def test_html_form_post_with_errors_gets_an_html_page(client: Client) -> None:
    response = await client.post(
        "/v1/forms/contact",
        data={**CONTACT, "email": "bad", "name": "<script>"},
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
    )
    assert response.status == 422
    assert response.content_type == "text/html"
    page = await response.text()
    assert 'lang="en"' in page and 'role="alert"' in page
    assert "<strong>email</strong>" in page
    assert "<script>" not in page


async def test_cors_preflight_for_an_allowed_origin(client: Client) -> None:
    response = await client.options(
        "/v1/forms/contact",
        headers={
            "Origin": "https://www.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"]
    assert {"Content-Type", "Idempotency-Key", "Accept"} <= {h.strip() for h in allowed.split(",")}
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert response.headers["Vary"] == "Origin"


async def test_cors_refuses_other_origins(client: Client) -> None:
    preflight = await client.options(
        "/v1/forms/contact",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    post = await client.post(
        "/v1/forms/contact", json={}, headers={"Origin": "https://evil.example"}
    )
    for response in (preflight, post):
        assert not any(h.startswith("Access-Control-") for h in response.headers)


async def test_allowed_origin_can_read_error_answers(client: Client) -> None:
    response = await client.post(
        "/v1/forms/contact", json={}, headers={"Origin": "https://www.example.org"}
    )
    assert response.status == 422
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.org"


async def test_openapi_document_is_valid_openapi_3_1(client: Client) -> None:
    response = await client.get("/openapi.json")
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert {"ContactFields", "ProfileFields", "ErrorBody"} <= set(document["components"]["schemas"])


async def test_health_readiness_and_metrics(client: Client) -> None:
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200
    await client.post("/v1/forms/contact", json=CONTACT)
    await client.post("/v1/forms/contact", json={**CONTACT, "website": "x"})
    await client.post("/v1/forms/contact", json={})
    text = await (await client.get("/metrics")).text()
    assert 'intake_http_requests_total{route="/v1/forms/contact",status="202"} 2.0' in text
    assert 'intake_http_requests_total{route="/v1/forms/contact",status="422"} 1.0' in text
    assert 'intake_honeypot_tripped_total{form="contact"} 1.0' in text
    assert "intake_publish_seconds_count 2.0" in text
    assert "intake_publish_failures_total 0.0" in text


async def test_unknown_paths_and_methods_answer_json_errors(client: Client) -> None:
    missing = await client.get("/nope")
    wrong = await client.get("/v1/forms/contact")
    assert (missing.status, wrong.status) == (404, 405)
    for response in (missing, wrong):
        assert (await response.json())["errors"][0]["field"] is None


async def test_forwarded_for_is_trusted_only_when_configured(
    make_client: MakeClient, triage_queue: AbstractQueue
) -> None:
    trusting = await make_client(trust_forwarded_for=True, intake_rate_limit_burst=1)
    hashes = []
    for address in ("198.51.100.7", "203.0.113.9"):
        headers = {"X-Forwarded-For": f"10.0.0.1, {address}"}
        response = await trusting.post("/v1/forms/contact", json=CONTACT, headers=headers)
        assert response.status == 202  # a separate bucket per forwarded client
        _, submission = await take(triage_queue, (await response.json())["id"])
        hashes.append(submission.client.client_hash)
        assert address not in submission.model_dump_json()
    assert hashes[0] != hashes[1]

    # A slow refill: under load the two posts may be far more than 10 ms apart.
    direct = await make_client(intake_rate_limit_burst=1, intake_rate_limit_per_minute=1)
    spoofed = {"X-Forwarded-For": "192.0.2.1"}
    assert (await direct.post("/v1/forms/contact", json=CONTACT, headers=spoofed)).status == 202
    spoofed = {"X-Forwarded-For": "192.0.2.2"}
    assert (await direct.post("/v1/forms/contact", json=CONTACT, headers=spoofed)).status == 429


async def test_the_form_page_and_its_static_files(client: Client) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert page.content_type == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "https://www.example.org" in csp  # the thank-you URL's origin, for the redirect
    text = await page.text()
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', text):
        asset = await client.get(path)
        assert asset.status == 200, path
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        assert asset.content_type in ("text/javascript", "text/css")
    assert 'action="/v1/forms/contact"' in text and 'action="/v1/forms/profile"' in text
    thanks = await client.get("/v1/thanks")
    assert thanks.status == 200 and "Content-Security-Policy" in thanks.headers


async def test_html_form_post_with_errors_shows_the_form_again_with_values(
    client: Client,
) -> None:
    response = await client.post(
        "/v1/forms/contact",
        data={**CONTACT, "email": "bad", "subject": "Ramp & lift"},
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
    )
    assert response.status == 422
    assert "Content-Security-Policy" in response.headers
    page = await response.text()
    assert 'value="bad"' in page and 'value="Ramp &amp; lift"' in page
    assert 'aria-invalid="true"' in page and 'id="contact-email-error"' in page
    assert '<form id="contact-form"' in page


async def test_html_form_post_during_an_outage_shows_the_form_again(
    make_client: MakeClient, rabbitmq_url: str
) -> None:
    # A broker nobody listens on, and no spool: the post cannot be accepted.
    client = await make_client(rabbitmq_url="amqp://guest:guest@127.0.0.1:9/", wait_ready=False)
    response = await client.post(
        "/v1/forms/contact", data=CONTACT, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1
    page = await response.text()
    assert "Please try again in" in page
    assert 'value="ana@example.org"' in page
