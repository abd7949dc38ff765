"""The services as real processes on loopback (intake, triage, notifier), and
the environment a stack of them runs with: the one set-up the e2e, hostile and
fault suites share. Each suite passes only what it does differently."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.support.ports import free_port
from tests.support.routing import burst_routing
from tests.support.twilio import FROM_NUMBER, TwilioStandIn

# Far above what any test posts from its one address: no test measures the limiter.
RATE_LIMIT_PER_MINUTE = 1_000_000
RATE_LIMIT_BURST = 100_000
MAIL_FROM = "alerts@example.org"
OPS_EMAIL = "ops@example.org"


def intake_env(
    workdir: Path,
    rabbitmq_url: str,
    *,
    rate_limit_per_minute: int = RATE_LIMIT_PER_MINUTE,
    rate_limit_burst: int = RATE_LIMIT_BURST,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What an intake process needs on its own: the broker, JSON logs, a spool
    under `workdir`, rate limits out of the way. `extra` adds variables (or
    overrides these)."""
    return {
        "RABBITMQ_URL": rabbitmq_url,
        "LOG_FORMAT": "json",
        "INTAKE_RATE_LIMIT_PER_MINUTE": str(rate_limit_per_minute),
        "INTAKE_RATE_LIMIT_BURST": str(rate_limit_burst),
        "INTAKE_SPOOL_DIR": str(workdir / "spool"),
        # A second of drain on SIGTERM: the behaviour, without slowing the suites.
        "INTAKE_DRAIN_SECONDS": "1",
        **(extra or {}),
    }


def stack_env(
    workdir: Path,
    rabbitmq_url: str,
    database_url: str,
    *,
    smtp_port: int,
    phone: TwilioStandIn,
    routing: Path | None = None,
    phone_url: str | None = None,
    provider_timeout: float | None = None,
    rate_limit_per_minute: int = RATE_LIMIT_PER_MINUTE,
    rate_limit_burst: int = RATE_LIMIT_BURST,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What intake, triage and notifier processes share: `intake_env`, the
    database, the SMTP server, the phone provider's stand-in (with its own
    credentials) and the shipped routing with throttles out of the way (written
    into `workdir`).

    routing: a routing file instead of the shipped one with raised throttles.
    phone_url: where the notifier reaches the stand-in, if not directly (a proxy).
    provider_timeout: SMTP_TIMEOUT and TWILIO_TIMEOUT in seconds; None keeps the
    services' defaults. `extra` adds variables (or overrides these).
    """
    env = intake_env(
        workdir,
        rabbitmq_url,
        rate_limit_per_minute=rate_limit_per_minute,
        rate_limit_burst=rate_limit_burst,
    )
    env.update(
        {
            "DATABASE_URL": database_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "MAIL_FROM": MAIL_FROM,
            "TWILIO_ACCOUNT_SID": phone.account_sid,
            "TWILIO_AUTH_TOKEN": phone.auth_token,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": phone_url or phone.base_url,
            "ROUTING_FILE": str(routing or burst_routing(workdir)),
            "OPS_EMAIL": OPS_EMAIL,
        }
    )
    if provider_timeout is not None:
        env["SMTP_TIMEOUT"] = env["TWILIO_TIMEOUT"] = f"{provider_timeout:g}"
    env.update(extra or {})
    return env


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.name, "serve", env=self.env, stdout=log, stderr=log
        )
        log.close()

    async def wait_ready(self, timeout: float = 30) -> None:
        async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
            while True:
                assert self.process and self.process.returncode is None, self.logs()
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process is None:
            return 0
        if self.process.returncode is not None:
            return self.process.returncode
        self.process.send_signal(sig)
        try:
            async with asyncio.timeout(timeout):
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def kill(self) -> int:
        """SIGKILL: no handler runs, nothing is flushed or acked; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.returncode is not None:
            return self.process.returncode
        self.process.kill()
        return await self.process.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Stack:
    workdir: Path
    base_env: dict[str, str]
    services: dict[str, list[ServiceProcess]] = field(default_factory=dict)

    @classmethod
    def whole(
        cls,
        workdir: Path,
        env: dict[str, str],
        *,
        triage: int,
        notifiers: int = 1,
        status_callbacks: bool,
    ) -> Stack:
        """One intake, `triage` workers and `notifiers` notifiers, not started.

        status_callbacks: each notifier's PUBLIC_BASE_URL is its own address, so
        the calls it places ask the phone provider for status callbacks.
        """
        stack = cls(workdir, env)
        stack.add("intake", "INTAKE_PORT")
        for _ in range(triage):
            stack.add("triage", "TRIAGE_HTTP_PORT")
        for _ in range(notifiers):
            notifier = stack.add("notifier", "NOTIFIER_PORT")
            if status_callbacks:
                notifier.env["PUBLIC_BASE_URL"] = notifier.url
        return stack

    def add(self, name: str, port_variable: str, **extra: str) -> ServiceProcess:
        port = free_port()
        index = len(self.services.get(name, []))
        env = {**os.environ, **self.base_env, port_variable: str(port), **extra}
        service = ServiceProcess(name, port, env, self.workdir / f"{name}-{index}.log")
        self.services.setdefault(name, []).append(service)
        return service

    def first(self, name: str) -> ServiceProcess:
        return self.services[name][0]

    async def start_all(self, *, wait_ready: bool = True) -> None:
        every = [s for group in self.services.values() for s in group]
        for service in every:
            await service.start()
        if wait_ready:
            for service in every:
                await service.wait_ready()

    async def stop_all(self) -> dict[str, int]:
        codes = {}
        for group in self.services.values():
            for index, service in enumerate(group):
                codes[f"{service.name}-{index}"] = await service.stop()
        return codes

    def all_logs(self) -> str:
        return "\n".join(
            f"--- {s.log_path.name}\n{s.logs()}" for g in self.services.values() for s in g
        )
