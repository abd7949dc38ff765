"""What a browser gets from the intake over real HTTP: HTML form posts (a
redirect, the form again with its errors and values, an outage page), CORS for
the allowed origin only, the form page and its static files."""

from __future__ import annotations

import re

import pytest
from aio_pika.abc import AbstractQueue

from tests.integration.intake.intake_support import CONTACT, Client, MakeClient, count_messages

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


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


async def test_a_double_click_on_the_plain_form_is_one_submission(
    client: Client, triage_queue: AbstractQueue
) -> None:
    """No script sets the header; the page's hidden key field does its work."""
    page = await (await client.get("/")).text()
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match
    posted = {**CONTACT, "idempotency_key": match.group(1)}
    answers = [
        await client.post(
            "/v1/forms/contact",
            data=posted,
            headers={"Accept": BROWSER_ACCEPT},
            allow_redirects=False,
        )
        for _ in range(2)
    ]
    assert [a.status for a in answers] == [303, 303]
    assert await count_messages(triage_queue) == 1


async def test_a_bad_hidden_key_is_named_like_any_field(client: Client) -> None:
    posted = {**CONTACT, "idempotency_key": "k" * 201}
    response = await client.post("/v1/forms/contact", data=posted)
    assert response.status == 422
    assert [e["field"] for e in (await response.json())["errors"]] == ["idempotency_key"]


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
