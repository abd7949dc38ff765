"""The composition root: builds the notifier from its settings, once."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
import structlog
from aiohttp import web

from notifier.channels import Sender
from notifier.channels.call_log import CallLog
from notifier.channels.chat import ChatWebhook
from notifier.channels.email import OutboxEmail, SmtpEmail
from notifier.channels.twilio import TwilioClient, TwilioSms, TwilioVoice
from notifier.consumer import Consumer
from notifier.dispatch import Clock, Dispatcher, utc_now
from notifier.ledger import Ledger, is_outage
from notifier.metrics import Metrics
from notifier.receipts import RECEIPT_PATH, Receipts
from notifier.routing_file import Channel, load_routing
from notifier.scheduler import Scheduler
from notifier.settings import NotifierSettings
from shared.broker import Broker
from shared.health import add_health_routes, start_site
from shared.topology import NOTIFIER_EMERGENCY_QUEUE, NOTIFIER_RESULTS_QUEUE

log = structlog.get_logger(__name__)


def build_senders(
    settings: NotifierSettings, session: aiohttp.ClientSession
) -> dict[Channel, Sender]:
    """The channel registry: a new channel is one more entry here."""
    senders: dict[Channel, Sender] = {}
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpEmail(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
            pool_size=settings.smtp_pool_size,
        )
    else:
        senders[Channel.EMAIL] = OutboxEmail(settings.outbox_dir, settings.mail_from)
    if settings.twilio_account_sid:
        client = TwilioClient(
            session,
            api_base=settings.twilio_api_base,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_number=settings.twilio_from_number,
            timeout=settings.twilio_timeout,
        )
        senders[Channel.SMS], senders[Channel.VOICE] = TwilioSms(client), TwilioVoice(client)
    else:
        senders[Channel.SMS] = CallLog(settings.call_log, "sms")
        senders[Channel.VOICE] = CallLog(settings.call_log, "voice")
    if settings.chat_webhook_url:
        senders[Channel.CHAT] = ChatWebhook(session, settings.chat_webhook_url)
    return senders


def status_callback_url(settings: NotifierSettings) -> str | None:
    if not (settings.public_base_url and settings.twilio_account_sid):
        return None
    return settings.public_base_url.rstrip("/") + RECEIPT_PATH


async def build_dispatcher(
    settings: NotifierSettings, session: aiohttp.ClientSession, clock: Clock = utc_now
) -> Dispatcher:
    """The dispatcher with its ledger connected lazily and not yet migrated."""
    config = load_routing(settings.routing_file)
    ledger = await Ledger.connect(
        settings.database_url,
        timedelta(seconds=settings.claim_lease_seconds),
        settings.database_timeout,
    )
    return Dispatcher(
        config=config,
        ledger=ledger,
        senders=build_senders(settings, session),
        metrics=Metrics(),
        status_callback=status_callback_url(settings),
        ack_submitter=settings.ack_submitter,
        ops_email=settings.ops_email,
        clock=clock,
    )


@dataclass
class Service:
    dispatcher: Dispatcher
    broker: Broker
    session: aiohttp.ClientSession
    runner: web.AppRunner
    consumers: list[Consumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def port(self) -> int:
        site = next(iter(self.runner.sites))
        server = getattr(site, "_server", None)
        return int(server.sockets[0].getsockname()[1]) if server else 0

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for consumer in self.consumers:
            await consumer.close()
        await self.broker.close()
        await self.runner.cleanup()
        await self.session.close()
        for sender in self.dispatcher.senders.values():
            if isinstance(sender, SmtpEmail):
                await sender.close()
        await self.dispatcher.ledger.close()


async def migrate_ledger(ledger: Ledger) -> asyncio.Task[None] | None:
    """Migrate now, or, with the database out of reach, once it answers (the
    task returned); until then the ledger counts as down (emergencies go out
    unrecorded, the rest wait), so the notifier starts before the database
    instead of crash-looping while people wait. A migration that fails on a
    reachable database stops the start, as a bug to see."""
    try:
        await ledger.migrate()
    except Exception as exc:
        if not is_outage(exc):
            raise
        log.error("ledger.unreachable", submission_id="-", error=type(exc).__name__)
        return asyncio.create_task(_migrate_when_reachable(ledger))
    return None


async def _migrate_when_reachable(ledger: Ledger) -> None:
    delay = 0.5
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
        try:
            await ledger.migrate()
        except Exception as exc:  # an outage, or a bug: either way loud and retried
            log.error("ledger.unreachable", submission_id="-", error=type(exc).__name__)
            continue
        log.info("ledger.ready", submission_id="-")
        return


async def start_service(settings: NotifierSettings, clock: Clock = utc_now) -> Service:
    session = aiohttp.ClientSession()
    dispatcher = await build_dispatcher(settings, session, clock)
    migrating = await migrate_ledger(dispatcher.ledger)
    broker = Broker(
        settings.rabbitmq_url,
        confirm_timeout=settings.broker_confirm_timeout,
        client_name="notifier",
    )
    broker.start()
    app = web.Application()
    add_health_routes(app, lambda: broker.ready, dispatcher.metrics.registry)
    Receipts(dispatcher, settings.twilio_auth_token, settings.public_base_url).add_routes(app)
    runner = await start_site(app, settings.notifier_host, settings.notifier_port)
    service = Service(dispatcher, broker, session, runner)
    for queue, prefetch in (
        (NOTIFIER_EMERGENCY_QUEUE, settings.emergency_prefetch),
        (NOTIFIER_RESULTS_QUEUE, settings.results_prefetch),
    ):
        consumer = Consumer(
            broker, dispatcher, queue, prefetch=prefetch, max_attempts=settings.retry_attempts
        )
        await consumer.start()
        service.consumers.append(consumer)
    scheduler = Scheduler(dispatcher, settings.scheduler_interval)
    service.tasks.append(asyncio.create_task(scheduler.run()))
    if migrating is not None:
        service.tasks.append(migrating)
    log.info("notifier.started", submission_id="-", port=service.port)
    return service
