"""The notifier's settings: read once from the environment in __main__."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import WorkerSettings

DEFAULT_ROUTING_FILE = Path(__file__).with_name("routing.yaml")


class NotifierSettings(WorkerSettings):
    notifier_host: str = Field(default="127.0.0.1", description="HTTP bind address")
    notifier_port: int = Field(
        default=8082, ge=0, le=65535, description="HTTP port: health, metrics, receipts"
    )
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="PostgreSQL URL of the delivery ledger",
    )
    database_timeout: float = Field(
        default=5.0,
        gt=0,
        description="seconds to connect to PostgreSQL or run one statement; past it the "
        "ledger counts as down (emergencies are then sent unrecorded)",
    )
    routing_file: Path = Field(
        default=DEFAULT_ROUTING_FILE, description="YAML file: staff, rotation, rules"
    )
    smtp_host: str = Field(default="", description="SMTP server; empty writes .eml files")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port")
    smtp_username: str = Field(default="", description="SMTP login; empty skips login")
    smtp_password: str = Field(default="", description="SMTP password")
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP link with STARTTLS")
    smtp_timeout: float = Field(default=15.0, gt=0, description="seconds per SMTP exchange")
    smtp_pool_size: int = Field(
        default=4, ge=1, description="SMTP sessions kept open and reused, at most"
    )
    mail_from: str = Field(
        default="Inquiry alerts <alerts@localhost>", description="From address of every email"
    )
    outbox_dir: Path = Field(
        default=Path("var/outbox"), description="where .eml files go when SMTP_HOST is empty"
    )
    twilio_account_sid: str = Field(default="", description="Twilio AccountSid; empty logs calls")
    twilio_auth_token: str = Field(
        default="", description="Twilio auth token (also signs receipts)"
    )
    twilio_from_number: str = Field(default="", description="caller id / sender for SMS and calls")
    twilio_api_base: str = Field(
        default="https://api.twilio.com", description="Twilio REST API base URL"
    )
    twilio_timeout: float = Field(default=10.0, gt=0, description="seconds per Twilio request")
    call_log: Path = Field(
        default=Path("var/calls.log"), description="JSON-lines log of calls/texts without Twilio"
    )
    public_base_url: str = Field(
        default="",
        description="public URL of this service, for Twilio status callbacks; empty: none",
    )
    chat_webhook_url: str = Field(default="", description="Slack-compatible webhook; empty: off")
    ops_email: str = Field(default="", description="who hears about dead-lettered results")
    ack_submitter: bool = Field(
        default=False, description="email the submitter a 'we received your message' note"
    )
    emergency_prefetch: int = Field(default=4, ge=1, description="prefetch of the emergency queue")
    results_prefetch: int = Field(default=16, ge=1, description="prefetch of the results queue")
    retry_attempts: int = Field(
        default=5, ge=1, description="deliveries tried before a result is dead-lettered"
    )
    claim_lease_seconds: float = Field(
        default=120.0, gt=0, description="after this, an unfinished claimed send is retried"
    )
    scheduler_interval: float = Field(
        default=30.0, gt=0, description="seconds between checks for held, throttled, digest items"
    )
