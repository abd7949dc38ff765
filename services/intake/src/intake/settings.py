"""The intake's settings, read once from the environment in `__main__`."""

from __future__ import annotations

import json
import secrets
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Every field is read from the environment variable named by its alias."""

    # Aliases keep the INTAKE_ names in the environment while the code (and
    # tests) use short field names.
    model_config = SettingsConfigDict(populate_by_name=True)

    host: str = Field(
        default="127.0.0.1",
        validation_alias="INTAKE_HOST",
        description="address to listen on (containers set 0.0.0.0)",
    )
    port: int = Field(
        default=8080, ge=0, le=65535, validation_alias="INTAKE_PORT", description="TCP port"
    )
    max_body_bytes: int = Field(
        default=65536,
        gt=0,
        validation_alias="INTAKE_MAX_BODY_BYTES",
        description="largest request body accepted; larger bodies get 413",
    )
    rate_limit_per_minute: float = Field(
        default=10.0,
        gt=0,
        validation_alias="INTAKE_RATE_LIMIT_PER_MINUTE",
        description="sustained form posts allowed per client per minute (token refill rate)",
    )
    rate_limit_burst: int = Field(
        default=5,
        ge=1,
        validation_alias="INTAKE_RATE_LIMIT_BURST",
        description="form posts a client may make at once before the rate applies",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="INTAKE_CORS_ORIGINS",
        description="origins allowed to post from a browser: comma-separated or a JSON list",
    )
    cors_max_age: int = Field(
        default=600,
        ge=0,
        validation_alias="INTAKE_CORS_MAX_AGE",
        description="seconds a browser may cache a CORS preflight answer",
    )
    thank_you_url: str = Field(
        default="/v1/thanks",
        validation_alias="INTAKE_THANK_YOU_URL",
        description="where a plain HTML form post is redirected (303) once accepted",
    )
    honeypot_field: str = Field(
        default="website",
        min_length=1,
        validation_alias="INTAKE_HONEYPOT_FIELD",
        description="hidden form field that only bots fill in",
    )
    idempotency_ttl_seconds: float = Field(
        default=86400.0,
        gt=0,
        validation_alias="INTAKE_IDEMPOTENCY_TTL_SECONDS",
        description="how long an Idempotency-Key's first answer is replayed",
    )
    idempotency_max_keys: int = Field(
        default=100_000,
        ge=1,
        validation_alias="INTAKE_IDEMPOTENCY_MAX_KEYS",
        description="idempotency keys remembered at most (least recently used evicted first)",
    )
    unavailable_retry_after: int = Field(
        default=5,
        ge=1,
        validation_alias="INTAKE_UNAVAILABLE_RETRY_AFTER",
        description="Retry-After seconds sent with a 503 when the broker is down",
    )
    shutdown_timeout: float = Field(
        default=30.0,
        gt=0,
        validation_alias="INTAKE_SHUTDOWN_TIMEOUT",
        description="seconds SIGTERM waits for in-flight requests to finish",
    )
    trust_forwarded_for: bool = Field(
        default=False,
        validation_alias="TRUST_FORWARDED_FOR",
        description="take the client IP from X-Forwarded-For (only behind a trusted proxy)",
    )
    client_hash_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_hex(32)),
        validation_alias="CLIENT_HASH_SECRET",
        description="HMAC key for the client hash; random per process when unset",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return tuple(part.strip() for part in text.split(",") if part.strip())
