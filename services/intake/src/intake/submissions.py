"""Accepting one form submission: validate, build the event, publish, confirm."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

import structlog
from pydantic import ValidationError
from shared.broker import Broker, BrokerUnavailable
from shared.codec import encode
from shared.contracts import ClientMeta, Submission, submission_routing_key
from shared.forms import FIELDS_BY_FORM, ContactFields, FormKind, ProfileFields
from shared.topology import SUBMISSIONS_EXCHANGE

from intake.errors import ApiError, field_errors, unavailable
from intake.metrics import IntakeMetrics
from intake.parsing import RawFields, without_blanks

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Accepted:
    """The answer a client gets, and what an idempotent retry replays."""

    submission_id: UUID


@dataclass(frozen=True)
class SubmissionRequest:
    submission_id: UUID
    form: FormKind
    fields: RawFields
    client: ClientMeta
    idempotency_key: str | None = None


class SubmissionDesk:
    """Turns raw form fields into a confirmed `Submission` on the broker."""

    def __init__(
        self, broker: Broker, metrics: IntakeMetrics, *, honeypot_field: str, retry_after: int
    ) -> None:
        self._broker = broker
        self._metrics = metrics
        self._honeypot_field = honeypot_field
        self._retry_after = retry_after

    async def accept(self, request: SubmissionRequest) -> Accepted:
        fields = dict(request.fields)
        # The honeypot is removed before validation, so it is never reported
        # as an unknown field and a bot cannot tell it apart from a real one.
        tripped = bool(without_blanks({"bait": fields.pop(self._honeypot_field, None)}))
        try:
            validated = _validate(request.form, without_blanks(fields))
        except ApiError as exc:
            if not tripped:
                log.info(
                    "submission.invalid",
                    submission_id=str(request.submission_id),
                    bad_fields=sorted({str(e.field) for e in exc.errors}),
                )
                raise
            # Honeypot filled AND invalid: answer like a success so a bot
            # learns nothing about our validation, but publish nothing: an
            # invalid form cannot become an event, and no person is waiting
            # for it (a person never sees the hidden field).
            self._record_bait(request, published=False)
            return Accepted(request.submission_id)
        submission = Submission(
            id=request.submission_id,
            form=request.form,
            fields=validated,
            client=request.client,
            honeypot_tripped=tripped,
            idempotency_key=request.idempotency_key,
        )
        await self._publish(submission)
        if tripped:
            self._record_bait(request, published=True)
        return Accepted(submission.id)

    async def _publish(self, submission: Submission) -> None:
        started = time.perf_counter()
        try:
            await self._broker.publish(
                SUBMISSIONS_EXCHANGE,
                submission_routing_key(submission),
                encode(submission),
                message_id=str(submission.id),
                headers={"schema_version": 1},
            )
        except BrokerUnavailable as exc:
            self._metrics.failed_confirms.inc()
            log.warning(
                "submission.not_confirmed", submission_id=str(submission.id), error=str(exc)
            )
            raise unavailable(self._retry_after) from None
        self._metrics.publish_seconds.observe(time.perf_counter() - started)
        self._metrics.submissions.labels(submission.form.value).inc()
        log.info(
            "submission.accepted",
            submission_id=str(submission.id),
            form=submission.form.value,
            honeypot_tripped=submission.honeypot_tripped,
        )

    def _record_bait(self, request: SubmissionRequest, *, published: bool) -> None:
        self._metrics.honeypot.labels(request.form.value).inc()
        log.info(
            "submission.honeypot",
            submission_id=str(request.submission_id),
            form=request.form.value,
            published=published,
        )


def _validate(form: FormKind, fields: RawFields) -> ContactFields | ProfileFields:
    try:
        return FIELDS_BY_FORM[form].model_validate(fields)
    except ValidationError as exc:
        raise ApiError(422, field_errors(exc)) from None
