"""The intake over real HTTP accepting forms and publishing them to the real
broker: every encoding, idempotency keys, the honeypot, forwarded addresses;
and what it tells operators (health, readiness, metrics, the OpenAPI document)."""

from __future__ import annotations

import asyncio

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue
from openapi_spec_validator import validate

from shared.forms import ContactFields, ProfileFields
from tests.integration.intake.intake_support import (
    CONTACT,
    PROFILE,
    Client,
    MakeClient,
    count_messages,
    multipart,
    take,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


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


async def test_a_retry_on_another_replica_keeps_the_submission_id_so_staff_hear_once(
    make_client: MakeClient, triage_queue: AbstractQueue
) -> None:
    """Replicas share no cache, but the id is derived from the form, the key and
    the fields, so the notifier's ledger (keyed by submission) sends once."""
    first, second = await make_client(), await make_client()
    headers = {"Idempotency-Key": "lost-answer-retry"}
    a = await first.post("/v1/forms/contact", json=CONTACT, headers=headers)
    b = await second.post("/v1/forms/contact", data=CONTACT, headers=headers)
    assert a.status == b.status == 202
    assert (await a.json())["id"] == (await b.json())["id"]


async def test_a_different_submission_under_a_reused_key_is_taken_not_dropped(
    client: Client, triage_queue: AbstractQueue
) -> None:
    """A key is the client's promise that two posts are one submission; when the
    fields differ they are not, and replaying the first answer would lose the
    second person's message."""
    headers = {"Idempotency-Key": "1"}
    other = {**CONTACT, "name": "Somebody Else", "message": "A different question entirely."}
    first = await client.post("/v1/forms/contact", json=CONTACT, headers=headers)
    second = await client.post("/v1/forms/contact", json=other, headers=headers)
    assert first.status == second.status == 202
    assert (await first.json())["id"] != (await second.json())["id"]
    assert await count_messages(triage_queue) == 2, "both published"


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
    assert 'intake_publish_seconds_count{lane="routine"} 2.0' in text
    assert "intake_publish_failures_total 0.0" in text
