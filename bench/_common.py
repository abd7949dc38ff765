"""What the benchmark scripts share: isolation, service processes, figures.

Not a benchmark itself (run_all.py only runs bench_*.py). Each script prints
`FIGURE<TAB>name<TAB>value<TAB>unit<TAB>target` lines; run_all.py gathers them
into one table at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import service_stack  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.routing import unthrottled_routing  # noqa: E402
from tests.support.services import (  # noqa: E402
    create_database,
    create_vhost,
    delete_vhost,
    drop_database,
    rabbitmqctl,
)
from tests.support.twilio import TwilioStandIn  # noqa: E402

__all__ = [
    "ROOT",
    "Proc",
    "cpu_seconds",
    "cpu_split",
    "create_database",
    "create_vhost",
    "delete_vhost",
    "drop_database",
    "figure",
    "free_port",
    "percentile",
    "py_spy",
    "rabbitmqctl",
    "rss_mib",
    "stack_env",
    "wait_http",
]


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def figure(name: str, value: float | str, unit: str = "", target: str = "") -> None:
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    print(f"FIGURE\t{name}\t{shown}\t{unit}\t{target}", flush=True)


def rss_mib(pid: int) -> float:
    """Resident memory of one process (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def py_spy() -> str:
    """py-spy from PATH, the venv, or PY_SPY (install it for your own use only)."""
    import shutil

    for candidate in (
        os.environ.get("PY_SPY", ""),
        shutil.which("py-spy") or "",
        str(Path(sys.executable).parent / "py-spy"),
        "/tmp/pytools/bin/py-spy",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("py-spy not found: uv pip install py-spy (or set PY_SPY)")


def record_profile(
    pid: int, out: Path, seconds: float, rate: int = 250, native: bool = False
) -> subprocess.Popen[bytes]:
    """py-spy recording a running process into a speedscope file (wait() on it)."""
    out.parent.mkdir(exist_ok=True)
    command = [py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", str(rate), "--format", "speedscope", "-o", str(out), "--nonblocking"]
    return subprocess.Popen(
        command + (["--native"] if native else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    user, system = cpu_split(pid)
    return user + system


def cpu_seconds_of(command: str) -> float:
    """CPU seconds so far of every process with this command name (e.g. beam.smp)."""
    pids = subprocess.run(["pgrep", "-x", command], capture_output=True, text=True).stdout
    total = 0.0
    for pid in pids.split():
        with contextlib.suppress(OSError, ValueError):
            total += cpu_seconds(int(pid))
    return total


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def stack_env(
    work: Path,
    rabbitmq_url: str,
    database_url: str,
    *,
    smtp_port: int,
    phone: TwilioStandIn,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The services' environment as the whole-stack tests build it, for a
    benchmark: no throttles (every alert is sent), rate limits out of reach."""
    return service_stack.stack_env(
        work,
        rabbitmq_url,
        database_url,
        smtp_port=smtp_port,
        phone=phone,
        routing=unthrottled_routing(work),
        rate_limit_per_minute=100_000_000,
        rate_limit_burst=1_000_000,
        extra=extra,
    )


@dataclass
class Proc:
    """A child process (a service) with its log in a file; always stopped."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env={**os.environ, **self.env}, stdout=out, stderr=out, cwd=ROOT
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def stop(self, timeout: float = 15) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_http(url: str, proc: Proc, timeout: float = 30) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.popen is not None
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=1) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} not ready at {url}:\n{proc.tail()}")


@contextlib.contextmanager
def processes(*procs: Proc) -> Iterator[None]:
    try:
        for proc in procs:
            proc.start()
        yield
    finally:
        for proc in procs:
            proc.stop()


def service(name: str, env: dict[str, str], log_dir: Path, index: int = 0) -> Proc:
    env = {**env, "INTAKE_DRAIN_SECONDS": "0"}  # nothing to drain for at the end of a bench
    return Proc(name, [sys.executable, "-m", name, "serve"], env, log_dir / f"{name}-{index}.log")


def run(coro: object) -> object:
    import uvloop

    return uvloop.run(coro)  # type: ignore[arg-type]


async def post_until_call(
    session: aiohttp.ClientSession,
    url: str,
    fields: dict[str, str],
    phone: TwilioStandIn,
    timeout: float,
) -> float:
    """POST an emergency (it must be answered 202) and wait for the next call
    request at the phone stand-in: seconds between the two, inf if none came."""
    before = _calls(phone)
    sent = time.perf_counter()
    async with session.post(url, json=fields) as answer:
        assert answer.status == 202, await answer.text()
    while time.perf_counter() < sent + timeout:
        if _calls(phone) > before:
            return time.perf_counter() - sent
        await asyncio.sleep(0.002)
    return float("inf")


def _calls(phone: TwilioStandIn) -> int:
    return sum(r["_resource"] == "Calls.json" for r in phone.requests)


async def purge(url: str, queue: str) -> int:
    import aio_pika

    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        q = await channel.get_queue(queue, ensure=True)
        result = await q.purge()
        return int(result.message_count)
    finally:
        await connection.close()


def sleep_until(deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
