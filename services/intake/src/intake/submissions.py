"""Accepting one form submission: validate, build the event, publish, confirm."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import structlog
from pydantic import ValidationError

from intake.errors import ApiError, field_errors, unavailable
from intake.metrics import IntakeMetrics
from intake.parsing import RawFields, without_blanks
from intake.spool import Spool, SpoolUnavailable
from shared.broker import Broker, BrokerUnavailable
from shared.codec import encode
from shared.contracts import ClientMeta, Submission, submission_routing_key
from shared.forms import FIELDS_BY_FORM, ContactFields, FormKind, ProfileFields
from shared.prescreen import Prescreen
from shared.topology import PRIORITY_SUFFIX, SUBMISSIONS_EXCHANGE

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


def mentions_danger(submission: Submission, prescreen: Prescreen) -> bool:
    fields = submission.fields
    return prescreen.mentions_danger((fields.message, getattr(fields, "subject", None)))


def routing_key(submission: Submission, danger: bool) -> str:
    """`submission.<form>`, or `submission.<form>.priority` when the text mentions
    danger, so it waits in the short `triage.priority` queue, never behind a flood.
    Only the queue differs: triage classifies both the same way."""
    key = submission_routing_key(submission)
    return key + PRIORITY_SUFFIX if danger else key


async def publish_submission(
    broker: Broker, submission: Submission, body: bytes, *, danger: bool
) -> None:
    """Publish one encoded submission and wait for the confirm (or BrokerUnavailable)."""
    await broker.publish(
        SUBMISSIONS_EXCHANGE,
        routing_key(submission, danger),
        body,
        message_id=str(submission.id),
        headers={"schema_version": 1},
    )


class SubmissionDesk:
    """Turns raw form fields into a `Submission` confirmed by the broker or spooled.

    With a spool, a submission goes to the spool (and is answered 202 once it
    is on disk) when the broker is down, when its publish fails or times out,
    and while older submissions wait there, so they are forwarded in order.
    Only a full or unwritable spool answers 503. Without a spool, any publish
    failure answers 503. A submission that mentions danger does not queue
    behind the spool: with the broker up it is published at once.

    A submission that mentions danger is published over `danger_broker`, a
    connection of its own, while it is up: on the routine connection its
    publish waited behind the flood's (publishes on one channel go out one at
    a time, and RabbitMQ takes them in order), up to 1.4 s for the confirm at
    500/s on two cores, and 3-59 ms on its own (bench/RESULTS.md, sixth session).
    """

    def __init__(
        self,
        broker: Broker,
        metrics: IntakeMetrics,
        prescreen: Prescreen,
        *,
        honeypot_field: str,
        retry_after: int,
        spool: Spool | None = None,
        on_spooled: Callable[[], None] = lambda: None,
        danger_broker: Broker | None = None,
    ) -> None:
        self._broker = broker
        self._danger_broker = danger_broker
        self._metrics = metrics
        self._prescreen = prescreen
        self._honeypot_field = honeypot_field
        self._retry_after = retry_after
        self._spool = spool
        self._on_spooled = on_spooled

    async def accept(self, request: SubmissionRequest) -> Accepted:
        fields = dict(request.fields)
        # The honeypot is removed before validation, so it is never reported
        # as an unknown field and a bot cannot tell it apart from a real one.
        tripped = bool(without_blanks({"bait": fields.pop(self._honeypot_field, None)}))
        try:
            validated = _validate(request.form, without_blanks(fields))
        except ApiError as exc:
            if not tripped:
                known = FIELDS_BY_FORM[request.form].model_fields
                named = {str(e.field) for e in exc.errors}
                log.info(
                    "submission.invalid",
                    submission_id=str(request.submission_id),
                    # Only the form's own field names: an unknown name is client
                    # text and may hold an address or a message.
                    bad_fields=sorted(named.intersection(known)),
                    unknown_fields=len(named.difference(known)),
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
        body = encode(submission)
        danger = mentions_danger(submission, self._prescreen)
        broker = self._lane(danger)
        if self._spool is None or (broker.ready and (danger or self._spool.pending == 0)):
            try:
                await self._publish_now(broker, submission, body, danger)
                return
            except BrokerUnavailable as exc:
                self._metrics.failed_confirms.inc()
                log.warning(
                    "submission.not_confirmed", submission_id=str(submission.id), error=str(exc)
                )
                if self._spool is None:
                    raise unavailable(self._retry_after) from None
        # A late confirm may mean the broker did take the message: the spool
        # then publishes it again, and consumers dedupe on the submission id.
        await self._spool_it(self._spool, submission, body, danger)

    def _lane(self, danger: bool) -> Broker:
        # The danger connection down (the routine one up) costs the lane, not the post.
        if danger and self._danger_broker is not None and self._danger_broker.ready:
            return self._danger_broker
        return self._broker

    async def _publish_now(
        self, broker: Broker, submission: Submission, body: bytes, danger: bool
    ) -> None:
        lane = "danger" if danger else "routine"
        started = time.perf_counter()
        await publish_submission(broker, submission, body, danger=danger)
        self._metrics.publish_seconds.labels(lane).observe(time.perf_counter() - started)
        self._metrics.submissions.labels(submission.form.value).inc()
        log.info(
            "submission.accepted",
            submission_id=str(submission.id),
            form=submission.form.value,
            honeypot_tripped=submission.honeypot_tripped,
            lane=lane,
        )

    async def _spool_it(
        self, spool: Spool, submission: Submission, body: bytes, danger: bool
    ) -> None:
        try:
            await spool.put(str(submission.id), body, urgent=danger)
        except SpoolUnavailable as exc:
            self._metrics.spool_refused.labels(exc.reason.partition(":")[0]).inc()
            log.error("submission.not_spooled", submission_id=str(submission.id), reason=exc.reason)
            raise unavailable(self._retry_after) from None
        self._metrics.spooled.labels(submission.form.value).inc()
        log.info(
            "submission.spooled",
            submission_id=str(submission.id),
            form=submission.form.value,
            honeypot_tripped=submission.honeypot_tripped,
            spool_depth=spool.depth,
        )
        self._on_spooled()

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
