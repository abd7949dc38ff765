"""The intake's settings, read once from the environment in `__main__`."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Each field is read from the environment variable of the same name, upper-cased."""

    intake_host: str = Field(
        default="127.0.0.1",
        description="address to listen on (containers set 0.0.0.0)",
    )
    intake_port: int = Field(default=8080, ge=0, le=65535, description="TCP port")
    intake_max_body_bytes: int = Field(
        default=65536,
        gt=0,
        description="largest request body accepted; larger bodies get 413",
    )
    intake_rate_limit_per_minute: float = Field(
        default=10.0,
        gt=0,
        description="sustained form posts allowed per client per minute (token refill rate)",
    )
    intake_rate_limit_burst: int = Field(
        default=5,
        ge=1,
        description="form posts a client may make at once before the rate applies",
    )
    intake_cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="origins allowed to post from a browser: comma-separated or a JSON list",
    )
    intake_cors_max_age: int = Field(
        default=600,
        ge=0,
        description="seconds a browser may cache a CORS preflight answer",
    )
    intake_thank_you_url: str = Field(
        default="/v1/thanks",
        description="where a plain HTML form post is redirected (303) once accepted",
    )
    intake_honeypot_field: str = Field(
        default="website",
        min_length=1,
        description="hidden form field that only bots fill in",
    )
    intake_idempotency_ttl_seconds: float = Field(
        default=86400.0,
        gt=0,
        description="how long an Idempotency-Key's first answer is replayed",
    )
    intake_idempotency_max_keys: int = Field(
        default=100_000,
        ge=1,
        description="idempotency keys remembered at most (least recently used evicted first)",
    )
    intake_unavailable_retry_after: int = Field(
        default=5,
        ge=1,
        description="Retry-After seconds sent with a 503 when the broker is down",
    )
    intake_client_timeout: float = Field(
        default=10.0,
        gt=0,
        description=(
            "seconds a client has to send its request headers, and again its body, before "
            "the connection is closed (408 for a body); also how long an idle connection stays"
        ),
    )
    intake_drain_seconds: float = Field(
        default=5.0,
        ge=0,
        description=(
            "after SIGTERM, seconds the intake keeps serving while /readyz answers 503, so the "
            "load balancer stops sending it requests before it stops accepting them"
        ),
    )
    intake_shutdown_timeout: float = Field(
        default=30.0,
        gt=0,
        description="seconds the stop then waits for in-flight requests to finish",
    )
    intake_spool_dir: str = Field(
        default="var/spool/intake",
        description=(
            "folder of the local durable spool that keeps accepting submissions while the "
            "broker is down (one per instance); empty disables the spool (503 instead)"
        ),
    )
    intake_spool_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="total bytes the spool may hold; past it a submission gets 503",
    )
    intake_spool_danger_reserve: float = Field(
        default=0.1,
        ge=0,
        lt=1,
        description="share of the spool's bounds kept for submissions the danger pre-screen "
        "flags, so a flood during a broker outage cannot fill it for a person in crisis",
    )
    intake_spool_max_files: int = Field(
        default=10_000,
        ge=1,
        description="submissions the spool may hold; past it a submission gets 503",
    )
    intake_prescreen_file: Path | None = Field(
        default=None,
        description=(
            "danger word stems (one regular expression per line) to use instead of the "
            "shipped list; they only send a submission to the priority queue"
        ),
    )
    intake_prescreen_triage: bool = Field(
        default=True,
        description="also ask triage's classifier about posts the stems let through (~0.1 ms "
        "a post): the stems alone sent about half the emergencies to the ordinary queue",
    )
    triage_rules_file: Path | None = Field(
        default=None,
        description="the rule file triage uses (the same variable as triage's), for the "
        "pre-screen's second opinion; empty: the shipped rules",
    )
    trust_forwarded_for: bool = Field(
        default=False,
        description="take the client IP from X-Forwarded-For (only behind a trusted proxy)",
    )
    client_hash_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_hex(32)),
        description="HMAC key for the client hash; random per process when unset",
        json_schema_extra={"secret": True},
    )

    @field_validator("intake_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return tuple(part.strip() for part in text.split(",") if part.strip())
