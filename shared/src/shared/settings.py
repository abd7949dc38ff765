"""The settings base every service's settings class extends.

Settings are read once from the environment at start-up and passed down;
nothing imports them as a global.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    rabbitmq_url: str = Field(
        default=DEFAULT_RABBITMQ_URL,
        description="AMQP URL of the RabbitMQ broker (vhost included)",
    )
    log_format: Literal["json", "console", "auto"] = Field(
        default="auto",
        description="json, console, or auto (console on a terminal, else json)",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="lowest level logged"
    )
    broker_confirm_timeout: float = Field(
        default=5.0, gt=0, description="seconds to wait for a publisher confirm"
    )


class WorkerSettings(ServiceSettings):
    """The services that consume queues (triage, notifier)."""

    worker_niceness: int = Field(
        default=5,
        ge=0,
        le=19,
        description="nice value the worker runs at, so that when the cores run short the "
        "intake and the broker go first (queued work has its priority lanes); 0: equal shares",
    )
