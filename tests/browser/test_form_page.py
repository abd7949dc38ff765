"""The example form page in a real headless Chromium, with JavaScript on and off.

Each test fills a form the way a person would, then checks what landed in
the `triage.submissions` queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aio_pika.abc import AbstractQueue

pytest.importorskip("playwright", reason="needs the playwright package (uv pip install playwright)")
from playwright.async_api import Browser, BrowserContext, Page, Request, ViewportSize, expect

from shared.codec import decode
from shared.contracts import Submission
from shared.forms import ContactFields, ProfileFields

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(120)]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1100, "height": 900}


async def next_submission(
    queue: AbstractQueue, matches: Callable[[Submission], bool], within: float = 15.0
) -> Submission:
    """The first message that matches, acking every message looked at."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message = await queue.get(fail=False, timeout=5)
        if message is None:
            await asyncio.sleep(0.1)
            continue
        await message.ack()
        submission = decode(Submission, message.body)
        assert message.message_id == str(submission.id)
        if matches(submission):
            return submission
    raise AssertionError(f"no matching submission within {within}s")


async def drain(queue: AbstractQueue) -> list[Submission]:
    found = []
    while (message := await queue.get(fail=False, timeout=5)) is not None:
        await message.ack()
        found.append(decode(Submission, message.body))
    return found


def by_email(email: str) -> Callable[[Submission], bool]:
    return lambda submission: submission.fields.email == email


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context
    await context.close()


@pytest.fixture
async def no_js_context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context
    await context.close()


class Watcher:
    """What a page logged and sent: CSP violations and the form posts."""

    def __init__(self, page: Page) -> None:
        self.console: list[str] = []
        self.posts: list[dict[str, str]] = []
        self._pending: list[asyncio.Task[None]] = []
        page.on("console", lambda message: self.console.append(message.text))
        page.on("request", self._request)

    def _request(self, request: Request) -> None:
        if request.method == "POST":
            self._pending.append(asyncio.ensure_future(self._headers(request)))

    async def _headers(self, request: Request) -> None:
        self.posts.append(await request.all_headers())

    async def settled(self) -> list[dict[str, str]]:
        await asyncio.gather(*self._pending)
        return self.posts


async def open_form_page(context: BrowserContext, base: str) -> tuple[Page, Watcher]:
    page = await context.new_page()
    watcher = Watcher(page)
    response = await page.goto(f"{base}/")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    return page, watcher


async def fill_contact(page: Page, email: str) -> None:
    await page.get_by_label("Your name").first.fill("Ana Pérez")
    await page.locator("#contact-email").fill(email)
    await page.locator("#contact-phone").fill("+1 555 010 2030")
    await page.get_by_label("Subject").fill("Lymphatic massage")
    await page.locator("#contact-message").fill("My husband has ALS.\nWho can help us?")


async def test_page_is_accessible_markup_and_is_photographed(
    browser: Browser, intake_base_url: str, artifacts: Path
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    try:
        page, watcher = await open_form_page(context, intake_base_url)
        assert await page.get_attribute("html", "lang") == "en"
        assert (
            await page.locator(".emergency")
            .get_by_text(
                "If someone is in danger now, call 911 (or 988 for a mental-health crisis)"
            )
            .is_visible()
        )
        # Every control a person fills in (the hidden idempotency key is not one).
        controls = page.locator("form input:not([type=hidden]), form select, form textarea")
        for control in await controls.all():
            control_id = await control.get_attribute("id")
            kind = await control.get_attribute("type")
            assert control_id, "every control has an id"
            if kind == "radio":
                continue
            assert await page.locator(f'label[for="{control_id}"]').count() == 1, control_id
        honeypot = page.locator("#contact-website")
        assert await honeypot.get_attribute("tabindex") == "-1"
        assert await honeypot.get_attribute("autocomplete") == "off"
        box = await honeypot.bounding_box()
        assert box is None or box["x"] + box["width"] <= 0, "the honeypot is off-screen"
        assert await page.locator("#contact-form .hp").get_attribute("aria-hidden") == "true"
        assert await page.locator("#contact-name").get_attribute("autocomplete") == "name"
        assert await page.locator("#contact-email").get_attribute("required") == ""
        await page.screenshot(path=str(artifacts / "form-page.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        await page.screenshot(path=str(artifacts / "form-page-phone.png"), full_page=True)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "no sideways scrolling on a phone"
        assert not [line for line in watcher.console if "Content Security Policy" in line]
    finally:
        await context.close()


async def test_with_javascript_errors_show_inline_then_thanks_in_place(
    context: BrowserContext,
    intake_base_url: str,
    submissions_queue: AbstractQueue,
    artifacts: Path,
) -> None:
    page, watcher = await open_form_page(context, intake_base_url)
    await page.evaluate("window.__sameDocument = true")
    await fill_contact(page, "not-an-email")
    await page.get_by_role("button", name="Send message").click()

    error = page.locator("#contact-email-error")
    await error.wait_for(state="visible")
    assert "not a valid email address" in await error.inner_text()
    email = page.locator("#contact-email")
    assert await email.get_attribute("aria-invalid") == "true"
    assert "contact-email-error" in (await email.get_attribute("aria-describedby") or "")
    summary = page.locator("#contact-errors")
    assert await summary.get_attribute("role") == "alert"
    assert await summary.is_visible()
    assert await page.evaluate("document.activeElement.id") == "contact-errors"
    assert await page.locator("#contact-name").input_value() == "Ana Pérez"
    assert await page.evaluate("window.__sameDocument") is True, "the page did not reload"
    await page.screenshot(path=str(artifacts / "form-page-errors.png"), full_page=True)

    await email.fill("ana@example.org")
    await page.get_by_role("button", name="Send message").click()
    thanks = page.locator("#contact-thanks")
    await thanks.wait_for(state="visible")
    assert "we received your message" in (await thanks.inner_text()).lower()
    assert await page.locator("#contact-form").is_hidden()
    assert await page.evaluate("window.__sameDocument") is True, "the page did not reload"
    assert await email.get_attribute("aria-invalid") is None

    submission = await next_submission(submissions_queue, by_email("ana@example.org"))
    assert submission.fields == ContactFields(
        name="Ana Pérez",
        email="ana@example.org",
        phone="+1 555 010 2030",
        subject="Lymphatic massage",
        message="My husband has ALS.\nWho can help us?",
    )
    assert not submission.honeypot_tripped
    assert submission.client.content_type == "application/x-www-form-urlencoded"
    posts = await watcher.settled()
    assert len(posts) == 2
    assert all(post["accept"] == "application/json" for post in posts)
    # One filling of the form, one key, reused for its retry after the 422.
    assert posts[0]["idempotency-key"] == posts[1]["idempotency-key"]
    assert submission.idempotency_key == posts[1]["idempotency-key"]
    assert not [line for line in watcher.console if "Content Security Policy" in line]


async def test_with_javascript_a_lost_answer_retried_publishes_once(
    context: BrowserContext, intake_base_url: str, submissions_queue: AbstractQueue
) -> None:
    page, watcher = await open_form_page(context, intake_base_url)
    attempts = 0

    async def lose_first_answer(route: Any) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await route.fetch()  # the intake receives it and publishes...
            await route.abort("connectionreset")  # ...but the answer never arrives
        else:
            await route.continue_()

    await page.route("**/v1/forms/profile", lose_first_answer)
    await page.locator("#profile-name").fill("Sam Lee")
    await page.locator("#profile-email").fill("sam@example.org")
    await page.locator("#profile-phone").fill("555-010-9999")
    await page.get_by_label("By phone").check()
    await page.locator("#profile-role").select_option("caregiver")
    await page.locator("#profile-diagnosis").select_option("lems")
    await page.locator("#profile-location").fill("Denver, CO")
    await page.locator("#profile-message").fill("Please call me today.")
    button = page.get_by_role("button", name="Ask for help")
    await button.click()
    status = page.locator("#profile-status")
    await expect(status).to_contain_text("could not reach")
    assert await page.locator("#profile-message").input_value() == "Please call me today."
    # A double click on the retry still sends one request at a time.
    await button.dblclick()
    await page.locator("#profile-thanks").wait_for(state="visible")
    await expect(status).to_have_text("")

    submission = await next_submission(submissions_queue, by_email("sam@example.org"))
    assert submission.fields == ProfileFields(
        name="Sam Lee",
        email="sam@example.org",
        phone="555-010-9999",
        contact_preference="phone",
        role="caregiver",
        diagnosis="lems",
        location="Denver, CO",
        message="Please call me today.",
    )
    await asyncio.sleep(0.5)
    assert await drain(submissions_queue) == [], "published once"
    keys = {post["idempotency-key"] for post in await watcher.settled()}
    assert keys == {submission.idempotency_key}


async def test_without_javascript_a_post_redirects_to_the_thank_you_page(
    no_js_context: BrowserContext, intake_base_url: str, submissions_queue: AbstractQueue
) -> None:
    page, _ = await open_form_page(no_js_context, intake_base_url)
    key = await page.locator('#contact-form input[name="idempotency_key"]').get_attribute("value")
    await fill_contact(page, "ana.nojs@example.org")
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Send message").click()
    response = await navigation.value
    assert response is not None and response.status == 200
    assert page.url == f"{intake_base_url}/v1/thanks"
    assert response.request.redirected_from is not None
    redirect = await response.request.redirected_from.response()
    assert redirect is not None and redirect.status == 303
    assert "we received your message" in (await page.locator("h1").inner_text()).lower()

    submission = await next_submission(submissions_queue, by_email("ana.nojs@example.org"))
    assert submission.fields.name == "Ana Pérez"
    # A plain form post sends line breaks as CRLF (HTML's form encoding); kept as sent.
    assert submission.fields.message == "My husband has ALS.\r\nWho can help us?"
    # The page's hidden key stands in for the header a script would send.
    assert key and submission.idempotency_key == key
    assert not submission.honeypot_tripped


async def test_without_javascript_errors_come_back_with_the_values_kept(
    no_js_context: BrowserContext, intake_base_url: str, submissions_queue: AbstractQueue
) -> None:
    page, _ = await open_form_page(no_js_context, intake_base_url)
    # Passes the browser's own check (type=email) but not the server's.
    await page.locator("#profile-name").fill("Sam <b>Lee</b>")
    await page.locator("#profile-email").fill("sam@example")
    await page.get_by_label("By email").check()
    await page.locator("#profile-role").select_option("patient")
    await page.locator("#profile-diagnosis").select_option("als")
    await page.locator("#profile-message").fill("I need a wheelchair ramp.")
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Ask for help").click()
    response = await navigation.value
    assert response is not None and response.status == 422
    assert await page.locator("#profile-name").input_value() == "Sam <b>Lee</b>"
    assert await page.locator("#profile-email").input_value() == "sam@example"
    assert await page.locator("#profile-role").input_value() == "patient"
    assert await page.locator("#profile-message").input_value() == "I need a wheelchair ramp."
    assert await page.get_by_label("By email").is_checked()
    email = page.locator("#profile-email")
    assert await email.get_attribute("aria-invalid") == "true"
    assert "profile-email-error" in (await email.get_attribute("aria-describedby") or "")
    assert await page.locator("#profile-email-error").is_visible()
    summary = page.locator("#profile-errors")
    assert await summary.get_attribute("role") == "alert"
    assert "email" in await summary.inner_text()
    assert await page.evaluate("document.activeElement.id") == "profile-errors"

    await email.fill("sam@example.org")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Ask for help").click()
    assert page.url == f"{intake_base_url}/v1/thanks"
    submission = await next_submission(submissions_queue, by_email("sam@example.org"))
    assert submission.fields.name == "Sam <b>Lee</b>"
