"""The services' images built and run with the local Docker daemon, on the
host's network so they reach the loopback broker, database, SMTP server and
phone stand-in the other suites use."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "triage", "notifier")
PORT_VARIABLES = {
    "intake": "INTAKE_PORT",
    "triage": "TRIAGE_HTTP_PORT",
    "notifier": "NOTIFIER_PORT",
}


def docker(*args: str, timeout: float = 60, check: bool = True) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])}: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip()


def daemon_reachable() -> bool:
    try:
        return docker("info", "--format", "{{.ServerVersion}}", timeout=10, check=False) != ""
    except (OSError, subprocess.TimeoutExpired):
        return False


def build(service: str, tag: str) -> None:
    """Build from the repository root, as the README and compose do."""
    docker("build", "-q", "-f", f"services/{service}/Dockerfile", "-t", tag, str(ROOT), timeout=900)


@dataclass
class Container:
    """One service's image run as Kubernetes runs it: `args: ["serve"]`."""

    image: str
    service: str
    port: int
    env: dict[str, str]
    mounts: tuple[str, ...] = ()
    name: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.name = f"inquiry-test-{self.service}-{uuid.uuid4().hex[:8]}"
        env = {**self.env, PORT_VARIABLES[self.service]: str(self.port)}
        options = [f"--env={key}={value}" for key, value in env.items()]
        options += [f"--volume={mount}" for mount in self.mounts]
        docker(
            "run",
            "--detach",
            "--network=host",
            f"--name={self.name}",
            *options,
            self.image,
            "serve",
        )

    async def wait_ready(self, path: str = "/readyz", timeout: float = 60) -> None:
        async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
            while True:
                assert self.state()["Running"], self.logs()
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}{path}") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.2)

    def state(self) -> dict[str, object]:
        return dict(json.loads(docker("inspect", "--format", "{{json .State}}", self.name)))

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "exec", self.name, *command],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        """Run the image's own HEALTHCHECK command once, now."""
        test = json.loads(
            docker("inspect", "--format", "{{json .Config.Healthcheck.Test}}", self.name)
        )
        kind, *command = test
        assert kind == "CMD", test
        return self.exec(*command)

    def stop(self, grace: int = 30) -> int:
        """`docker stop` (SIGTERM, SIGKILL after `grace`); the exit code."""
        docker("stop", f"--time={grace}", self.name, timeout=grace + 30)
        return int(docker("wait", self.name))

    def logs(self) -> str:
        done = subprocess.run(
            ["docker", "logs", self.name], capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout + done.stderr

    def remove(self) -> None:
        if self.name:
            docker("rm", "--force", "--volumes", self.name, check=False)
