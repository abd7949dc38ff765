"""The OpenAPI 3.1 document, generated from the pydantic models the API uses."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from intake.errors import ErrorBody
from intake.parsing import ACCEPTED_TYPES
from intake.responses import AcceptedBody
from shared.forms import FIELDS_BY_FORM, ContactFields, FormKind, ProfileFields

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "Malformed body: bad JSON, not an object, or invalid UTF-8",
    "408": "Body not received within the client timeout; the connection is closed",
    "413": "Body larger than the configured limit",
    "415": "Unsupported content type",
    "422": "Invalid fields; every bad field is listed",
    "429": "Too many submissions from this client",
    "503": (
        "Broker down or did not confirm, and the local spool is full, unwritable or "
        "disabled; nothing was accepted, retry later"
    ),
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}


@cache
def openapi_document() -> dict[str, Any]:
    _, top = models_json_schema(
        [
            (ContactFields, "validation"),
            (ProfileFields, "validation"),
            (AcceptedBody, "serialization"),
            (ErrorBody, "serialization"),
        ],
        ref_template=_REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Inquiry intake",
            "version": "1",
            "description": "Accepts the website's contact and profile forms.",
        },
        "paths": {
            **{
                f"/v1/forms/{kind.value}": _form_path(kind, model)
                for kind, model in FIELDS_BY_FORM.items()
            },
            "/healthz": _plain_get("Process is alive"),
            "/readyz": _plain_get("Broker connected (503 when not); also the spool's depth"),
            "/metrics": _plain_get("Prometheus metrics", "text/plain"),
        },
        "components": {"schemas": top["$defs"]},
    }


def _form_path(kind: FormKind, model: type[ContactFields | ProfileFields]) -> dict[str, Any]:
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {
        "post": {
            "operationId": f"submit_{kind.value}",
            "summary": f"Submit the {kind.value} form",
            "description": (
                "Answers 202 only once the broker has confirmed the message or, while "
                "the broker is away, once it is written durably (fsync) to the local "
                "spool, which forwards it later. A plain HTML form post (Accept: "
                "text/html) gets a 303 to the thank-you page, or on an error the form "
                "page again with the values kept."
            ),
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": (
                        "a retry of the same submission (same fields) with the same key "
                        "gets the same id and is alerted on once; other fields under a "
                        "reused key are a new submission"
                    ),
                }
            ],
            "requestBody": {
                "required": True,
                "content": {media: {"schema": schema} for media in ACCEPTED_TYPES},
            },
            "responses": {
                "202": _json("Accepted: confirmed by the broker, or spooled", "AcceptedBody"),
                "303": {
                    "description": "HTML form post accepted; go to the thank-you page",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **{status: _error(status, text) for status, text in _ERRORS.items()},
            },
        }
    }


def _json(description: str, model: str) -> dict[str, Any]:
    ref = {"$ref": _REF.format(model=model)}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _error(status: str, description: str) -> dict[str, Any]:
    response = _json(description, "ErrorBody")
    if status in ("429", "503"):
        response["headers"] = _RETRY_AFTER
    return response


def _plain_get(description: str, media: str = "application/json") -> dict[str, Any]:
    return {"get": {"responses": {"200": {"description": description, "content": {media: {}}}}}}
