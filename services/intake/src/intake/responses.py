"""How an outcome becomes an HTTP answer: JSON for scripts, HTML for browsers."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel

from intake.errors import ApiError
from intake.pages import FormPage, Submitted, error_page, invalid_form_page

HTML = "text/html; charset=utf-8"
# The form a request posted, once its body is decoded: an HTML error answer
# shows the form again with these values kept.
SUBMITTED = web.RequestKey("submitted", Submitted)


class AcceptedBody(BaseModel):
    id: UUID
    status: Literal["accepted"] = "accepted"


def wants_html(accept: str) -> bool:
    """True for a plain browser form post, which lists text/html explicitly.

    fetch() and API clients send `*/*` or `application/json`, so they get JSON.
    """
    quality: dict[str, float] = {}
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        quality[kind.lower()] = _q(params)
    html = quality.get("text/html", 0.0)
    return html > 0 and html >= quality.get("application/json", 0.0)


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def accepted_response(
    request: web.Request, submission_id: UUID, thank_you_url: str
) -> web.Response:
    if wants_html(request.headers.get("Accept", "")):
        # 303 so reloading the thank-you page never re-posts the form.
        return web.Response(status=303, headers={"Location": thank_you_url})
    # The same bytes as AcceptedBody(id=...).model_dump_json(), without a model per request.
    body = f'{{"id":"{submission_id}","status":"accepted"}}'
    return web.Response(status=202, body=body, content_type="application/json")


def error_response(
    request: web.Request, error: ApiError, form_page: FormPage | None = None
) -> web.Response:
    if wants_html(request.headers.get("Accept", "")):
        submitted = request.get(SUBMITTED)
        retry_after = error.headers.get("Retry-After")
        assets = form_page.assets if form_page else None
        if form_page is not None and submitted is not None and error.status in (422, 503):
            text = form_page.render(submitted, error.errors, retry_after)
        elif error.status == 422:
            text = invalid_form_page(error.errors, assets)
        else:
            text = error_page(error.errors, retry_after, assets)
        response = web.Response(
            status=error.status, text=text, headers={**error.headers, "Content-Type": HTML}
        )
    else:
        response = web.Response(
            status=error.status,
            body=error.body().model_dump_json(),
            headers={**error.headers, "Content-Type": "application/json"},
        )
    if error.headers.get("Connection") == "close":
        # Not kept alive: the connection's client was too slow (408).
        response.force_close()
    return response
