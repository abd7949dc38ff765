"""The triage worker's settings, read once from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import WorkerSettings


class TriageSettings(WorkerSettings):
    triage_rules_file: Path | None = Field(
        default=None, description="rule file (YAML) to use instead of the shipped default"
    )
    triage_prefetch: int = Field(
        default=32, ge=1, le=1000, description="messages in flight per worker process"
    )
    triage_http_host: str = Field(default="127.0.0.1", description="address of the health port")
    triage_http_port: int = Field(default=8081, description="port of /healthz, /readyz, /metrics")
    triage_shutdown_grace: float = Field(
        default=20.0, gt=0, description="seconds SIGTERM waits for messages in hand"
    )
