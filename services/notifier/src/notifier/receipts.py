"""Twilio status callbacks: checked, recorded in the ledger, and a failed
emergency call moves on to the backup at once."""

from __future__ import annotations

import structlog
from aiohttp import web

from notifier.dispatch import Dispatcher
from notifier.ledger import Row
from notifier.rendering import unanswered_notice
from notifier.routing import Alert
from notifier.routing_file import Channel
from notifier.signature import signature_valid

log = structlog.get_logger(__name__)

RECEIPT_PATH = "/twilio/status"

# Twilio's final statuses -> ledger status; interim ones (queued, ringing...) are ignored.
FINAL_STATUS = {
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no_answer",
    "canceled": "failed",
}
CALL_NOT_ANSWERED = frozenset({"failed", "busy", "no_answer"})


def final_status(params: dict[str, str]) -> tuple[str, str] | None:
    """(provider id, ledger status) of a callback, or None for an interim one."""
    sid = params.get("CallSid") if "CallStatus" in params else params.get("MessageSid")
    raw = params.get("CallStatus") or params.get("MessageStatus") or ""
    status = FINAL_STATUS.get(raw)
    return (sid, status) if sid and status else None


class Receipts:
    def __init__(self, dispatcher: Dispatcher, auth_token: str, public_base_url: str) -> None:
        self._dispatcher = dispatcher
        self._token = auth_token
        self._base = public_base_url.rstrip("/")

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(RECEIPT_PATH, self.status_callback)

    async def status_callback(self, request: web.Request) -> web.Response:
        form = await request.post()
        params = [(k, v) for k, v in form.items() if isinstance(v, str)]
        url = self._base + request.path_qs
        if not signature_valid(
            self._token, url, params, request.headers.get("X-Twilio-Signature", "")
        ):
            log.warning("receipt.bad_signature")
            raise web.HTTPForbidden(text="bad signature")
        found = final_status(dict(params))
        if found is not None:
            await self.record(*found)
        return web.Response(status=204)

    async def record(self, provider_id: str, status: str) -> None:
        ledger = self._dispatcher.ledger
        rows = await ledger.by_provider_id(provider_id)
        self._dispatcher.metrics.receipts.labels(status).inc()
        for row in rows:
            await ledger.finish([row.id], status)
            log.info(
                "receipt.recorded",
                submission_id=str(row.submission_id),
                status=status,
                channel=row.channel,
            )
            if row.channel == Channel.VOICE.value and status in CALL_NOT_ANSWERED:
                await self._call_backup(row)

    async def _call_backup(self, row: Row) -> None:
        sid = str(row.submission_id)
        results = await self._dispatcher.ledger.results([row.submission_id])
        result = results.get(row.submission_id)
        if not row.fallback:
            # The last call in the chain (the backup's, or one with no backup)
            # went unanswered: a person must still pick this up.
            log.error("receipt.call_unanswered_no_backup", submission_id=sid)
            if result is not None:
                await self._dispatcher.tell_ops(unanswered_notice(result), sid)
            return
        person = self._dispatcher.config.person(row.fallback)
        if result is None or not person.phone:
            log.error("receipt.backup_unreachable", submission_id=sid)
            return
        outcome = await self._dispatcher.deliver(
            result, Alert(person.name, Channel.VOICE, person.phone)
        )
        if not outcome.ok:
            await self._dispatcher.alert_ops(result, sid, f"backup call failed: {outcome.reason}")
