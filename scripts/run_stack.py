"""`make run`: the whole stack as local processes, stopped together on Ctrl-C.

Each service runs as its own process, as it would in production; the local
defaults write mail to an outbox folder and calls/texts to a log, so nothing
but RabbitMQ and PostgreSQL is needed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SERVICES = ("intake", "triage", "notifier")


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def local_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LOG_FORMAT", "console")
    env.setdefault("OUTBOX_DIR", str(VAR / "outbox"))
    env.setdefault("CALL_LOG", str(VAR / "calls.log"))
    # No load balancer to drain for on a developer's machine: Ctrl-C stops at once.
    env.setdefault("INTAKE_DRAIN_SECONDS", "0")
    return env


def preflight(env: dict[str, str]) -> bool:
    rabbit = env.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
    database = env.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    if not reachable(rabbit, 5672):
        where = f"{urlparse(rabbit).hostname}:{urlparse(rabbit).port or 5672}"
        print(
            f"RabbitMQ is not reachable at {where}: start one with `rabbitmq-server -detached`"
            " (or `docker compose up rabbitmq`) or set RABBITMQ_URL."
        )
        return False
    if not reachable(database, 5432):
        print(
            "PostgreSQL is not reachable: start it (`pg_ctlcluster 15 main start` or "
            "`docker compose up postgres`) or set DATABASE_URL."
        )
        return False
    return True


def banner(env: dict[str, str]) -> str:
    intake = f"http://127.0.0.1:{env.get('INTAKE_PORT', '8080')}"
    return "\n".join(
        [
            "inquiry triage is running:",
            f"  web forms    {intake}/",
            f"  API docs     {intake}/openapi.json",
            f"  metrics      {intake}/metrics  :{env.get('TRIAGE_HTTP_PORT', '8081')}/metrics  "
            f":{env.get('NOTIFIER_PORT', '8082')}/metrics",
            f"  mail outbox  {env['OUTBOX_DIR']}",
            f"  calls/texts  {env['CALL_LOG']}",
            "Ctrl-C stops everything.",
        ]
    )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def start(env: dict[str, str], output: IO[bytes] | None = None) -> list[subprocess.Popen[bytes]]:
    VAR.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "notifier", "migrate"], env=env, check=True, stdout=output
    )
    return [
        subprocess.Popen(
            [sys.executable, "-m", name, "serve"], env=env, stdout=output, stderr=output
        )
        for name in SERVICES
    ]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    # A second Ctrl-C must not abandon the services half-stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    env = local_env()
    if not preflight(env):
        return 1
    procs = start(env)
    print(banner(env), flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("a service stopped; stopping the others")
    except KeyboardInterrupt:
        print("\nstopping...")
    stop(procs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
