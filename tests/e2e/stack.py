"""The three services as real processes on loopback, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
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

    def add(self, name: str, port_variable: str, **extra: str) -> ServiceProcess:
        port = free_port()
        index = len(self.services.get(name, []))
        env = {**os.environ, **self.base_env, port_variable: str(port), **extra}
        service = ServiceProcess(name, port, env, self.workdir / f"{name}-{index}.log")
        self.services.setdefault(name, []).append(service)
        return service

    def first(self, name: str) -> ServiceProcess:
        return self.services[name][0]

    async def start_all(self) -> None:
        every = [s for group in self.services.values() for s in group]
        for service in every:
            await service.start()
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
