"""The HTTP handlers of the public API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID, uuid4

from aiohttp import web
from aiohttp.typedefs import Handler

from intake.clientmeta import ClientIdentifier
from intake.errors import ApiError
from intake.idempotency import (
    FORM_FIELD,
    MAX_KEY_LENGTH,
    IdempotencyCache,
    submission_id_for,
)
from intake.metrics import IntakeMetrics
from intake.openapi import openapi_document
from intake.pages import Submitted
from intake.parsing import RawFields, decode_form
from intake.ratelimit import ClientLimits, retry_after_header
from intake.responses import SUBMITTED, accepted_response
from intake.submissions import Accepted, SubmissionDesk, SubmissionRequest
from shared.forms import FormKind
from shared.prescreen import Prescreen

FORM_PATHS = {kind: f"/v1/forms/{kind.value}" for kind in FormKind}
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Lets the error middleware key its log line by the submission being handled.
SUBMISSION_ID = web.RequestKey("submission_id", UUID)


@dataclass(frozen=True)
class FormEndpoint:
    """What the form handlers need, built once by the composition root."""

    desk: SubmissionDesk
    clients: ClientIdentifier
    limits: ClientLimits
    prescreen: Prescreen
    metrics: IntakeMetrics
    replies: IdempotencyCache[Accepted]
    max_body_bytes: int
    thank_you_url: str
    client_timeout: float = 10.0

    async def submit(self, request: web.Request, form: FormKind) -> web.Response:
        request[SUBMISSION_ID] = submission_id = uuid4()
        client_hash = self.clients.client_hash(request)
        wait = self.limits.acquire(client_hash)
        key = _idempotency_key(request)
        fields = decode_form(request.headers.get("Content-Type", ""), await self._body(request))
        form_key = _form_key(fields)  # out of the fields, whether the header came too
        key = key or form_key
        if wait > 0:
            self._past_the_limit(client_hash, fields, wait)
        request[SUBMITTED] = Submitted(form, fields)
        if key is not None:
            request[SUBMISSION_ID] = submission_id = submission_id_for(form.value, key, fields)
        submission = SubmissionRequest(
            submission_id=submission_id,
            form=form,
            fields=fields,
            client=self.clients.meta(request, client_hash),
            idempotency_key=key,
        )
        if key is None:
            accepted = await self.desk.accept(submission)
        else:
            accepted = await self.replies.run(
                str(submission_id), lambda: self.desk.accept(submission)
            )
        return accepted_response(request, accepted.submission_id, self.thank_you_url)

    async def _body(self, request: web.Request) -> bytes:
        if (request.content_length or 0) > self.max_body_bytes:
            raise self._too_large()
        if request.content.is_eof():
            # The whole body came with the headers (the usual small form):
            # nothing to wait for, so no timer (a few microseconds each).
            return await request.read()
        try:
            # The app's client_max_size makes read() stop at the limit, also
            # for chunked bodies that announce no length. A client that sends
            # its body slowly (or not at all) holds the connection only so long.
            async with asyncio.timeout(self.client_timeout):
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self._too_large() from None
        except TimeoutError:
            raise ApiError.whole(
                408,
                f"the body did not arrive within {self.client_timeout:g} seconds",
                {"Connection": "close"},
            ) from None

    def _past_the_limit(self, client_hash: str, fields: RawFields, wait: float) -> None:
        """Refuse a post past the client's limit, unless it mentions danger and
        the client's danger budget allows it (intake.ratelimit)."""
        texts = [v for v in (fields.get("message"), fields.get("subject")) if isinstance(v, str)]
        if self.prescreen.mentions_danger(texts):
            wait = self.limits.acquire_danger(client_hash)
            if wait == 0:
                self.metrics.danger_passed.inc()
                return
        raise ApiError.whole(
            429, "too many submissions; please wait", {"Retry-After": retry_after_header(wait)}
        )

    def _too_large(self) -> ApiError:
        # Built only when needed: an error per request showed in the profile.
        return ApiError.whole(413, f"body is larger than {self.max_body_bytes} bytes")


def _idempotency_key(request: web.Request) -> str | None:
    return _checked_key(IDEMPOTENCY_HEADER, request.headers.get(IDEMPOTENCY_HEADER))


def _form_key(fields: RawFields) -> str | None:
    """The page's hidden key field, taken out of the fields in any case."""
    return _checked_key(FORM_FIELD, fields.pop(FORM_FIELD, None))


def _checked_key(name: str, key: object) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError.field(name, f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def add_routes(app: web.Application, endpoint: FormEndpoint) -> None:
    for kind, path in FORM_PATHS.items():
        app.router.add_post(path, _bind(endpoint, kind))
        # OPTIONS is answered by the CORS middleware; the route makes it reach it.
        app.router.add_route("OPTIONS", path, _no_content)
    app.router.add_get("/openapi.json", _openapi)


def _bind(endpoint: FormEndpoint, kind: FormKind) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await endpoint.submit(request, kind)

    return handler


async def _no_content(_: web.Request) -> web.Response:
    return web.Response(status=204)


async def _openapi(_: web.Request) -> web.Response:
    return web.json_response(openapi_document())
