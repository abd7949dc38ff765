"""End to end: POST to the alert email handed to the SMTP server, under paced load.

Starts intake, triage (--triage N workers) and the notifier as processes on
their own vhost and database, with an SMTP server in its own process
(bench/smtp_sink.py: a lean one by default, `--sink aiosmtpd` for the tests'
server) and the Twilio stand-in in this process. Sends routine questions (they
route to a team inbox email) open-loop at each rate for --seconds
(bench/paced_posts.py), and matches every email received to its POST by
submission id: latency = time the SMTP server got the whole message - time
the POST was sent. Prints the CPU each process used per email: the services,
the broker, the database and the bench's own apparatus. Meanwhile it posts
--emergencies emergencies one at a time and times each POST to its call request
at the phone provider: the priority lane under that load. Also prints each
service's resident memory (VmRSS) idle and at the end of each load step.

Targets (2 cores): p99 < 50 ms at 200/s, p99 < 250 ms at 500/s.
Run: uv run python bench/bench_e2e.py [--rates 200 500] [--seconds 15] [--triage 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common as c
import aiohttp
from paced_posts import post_paced

from tests.support.submissions import EMERGENCY
from tests.support.twilio import TwilioStandIn

FORM_PATH = "/v1/forms/contact"
QUESTION = (
    "Can you help us find a physical therapist who has worked with ALS patients near "
    "Denver? My mother was diagnosed last year. Thank you."
)


@dataclass
class TimingInbox:
    """When each submission id first arrived at the SMTP server."""

    received: dict[str, float] = field(default_factory=dict)


async def load_step(
    port: int, rate: int, seconds: float, inbox: TimingInbox, wait: float
) -> dict[str, float]:
    def fields(i: int) -> dict[str, str]:
        return {"name": f"Sam {i}", "email": f"sam{i}@example.org", "message": QUESTION}

    outcome = await post_paced("127.0.0.1", port, FORM_PATH, rate, seconds, fields)
    sent = outcome.sent
    deadline = time.perf_counter() + wait
    while time.perf_counter() < deadline:
        if all(k in inbox.received for k in sent):
            break
        await asyncio.sleep(0.1)
    latencies = [(inbox.received[k] - t) * 1000 for k, t in sent.items() if k in inbox.received]
    return {
        "sent": float(len(sent)),
        "failed": float(outcome.failures),
        "rate": outcome.rate,
        "delivered": float(len(latencies)),
        "p50": c.percentile(latencies, 50),
        "p99": c.percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
    }


async def emergencies_during(
    port: int, phone: TwilioStandIn, seconds: float, count: int
) -> list[float]:
    """`count` emergencies posted one at a time, spread over a load step: ms from
    each POST to its call request at the phone provider (inf: none in 10 s)."""
    latencies = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            await asyncio.sleep(seconds / (count + 1))
            url = f"http://127.0.0.1:{port}{FORM_PATH}"
            latencies.append(await c.post_until_call(session, url, EMERGENCY, phone, 10) * 1000)
    return latencies


async def start_sink(
    inbox: TimingInbox, server: str
) -> tuple[asyncio.subprocess.Process, int, asyncio.Task[None]]:
    """bench/smtp_sink.py in its own process; its arrival times fill `inbox`."""
    sink = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("smtp_sink.py")),
        "--server",
        server,
        stdout=asyncio.subprocess.PIPE,
    )
    assert sink.stdout is not None
    stdout = sink.stdout
    first = (await asyncio.wait_for(stdout.readline(), 30)).split()
    if first[:1] != [b"READY"]:
        raise RuntimeError(f"SMTP sink did not start: {first!r}")

    async def read() -> None:
        async for line in stdout:
            sid, at = line.split()
            inbox.received.setdefault(sid.decode(), float(at))

    return sink, int(first[1]), asyncio.create_task(read())


async def main_async(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    vhost, url = c.create_vhost("bench-e2e")
    db_name, db_url = await c.create_database("bench_e2e")
    inbox = TimingInbox()
    sink, smtp_port, reader = await start_sink(inbox, args.sink)
    phone = TwilioStandIn()
    await phone.start()
    base = c.stack_env(
        work,
        url,
        db_url,
        smtp_port=smtp_port,
        phone=phone,
        extra=dict(item.split("=", 1) for item in args.env),
    )
    intake_port, notifier_port = c.free_port(), c.free_port()
    procs = [c.service("intake", {**base, "INTAKE_PORT": str(intake_port)}, work)]
    triage_ports = [c.free_port() for _ in range(args.triage)]
    procs += [
        c.service("triage", {**base, "TRIAGE_HTTP_PORT": str(port)}, work, index)
        for index, port in enumerate(triage_ports)
    ]
    notifier_url = f"http://127.0.0.1:{notifier_port}"
    procs.append(
        c.service(
            "notifier",
            {**base, "NOTIFIER_PORT": str(notifier_port), "PUBLIC_BASE_URL": notifier_url},
            work,
        )
    )
    results: dict[int, dict[str, float]] = {}
    rss: dict[str, dict[str, float]] = {}
    try:
        with c.processes(*procs):
            c.wait_http(f"http://127.0.0.1:{intake_port}/readyz", procs[0])
            for port, proc in zip(triage_ports, procs[1:-1], strict=True):
                c.wait_http(f"http://127.0.0.1:{port}/readyz", proc)
            c.wait_http(f"{notifier_url}/readyz", procs[-1])
            # Warm-up: first connections, caches, the ledger's first rows.
            await load_step(intake_port, 50, 2, inbox, 10)
            await asyncio.sleep(1)
            rss["idle"] = {f"{p.name}-{i}": c.rss_mib(p.pid) for i, p in enumerate(procs)}
            for rate in args.rates:
                cpu0 = cpu_by_process(procs, sink.pid)
                spies = []
                if args.profile:
                    for i, p in enumerate(procs):
                        out = c.ROOT / "bench" / "profiles" / f"e2e-{rate}-{p.name}-{i}.json"
                        spies.append(c.record_profile(p.pid, out, args.seconds, rate=200))
                started = time.perf_counter()
                results[rate], urgent = await asyncio.gather(
                    load_step(intake_port, rate, args.seconds, inbox, 30),
                    emergencies_during(intake_port, phone, args.seconds, args.emergencies),
                )
                wall = time.perf_counter() - started
                for spy in spies:
                    spy.wait(60)
                cpu1 = cpu_by_process(procs, sink.pid)
                cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
                print(
                    "  CPU share while sending and draining: "
                    + "  ".join(f"{k} {v / wall:.0%}" for k, v in cpu.items())
                )
                emails = max(results[rate]["delivered"], 1.0)
                print(
                    "  CPU ms per email: "
                    + "  ".join(f"{k} {v * 1000 / emails:.2f}" for k, v in cpu.items())
                    + f"  (load average {os.getloadavg()[0]:.1f})"
                )
                for k, v in cpu.items():
                    c.figure(f"e2e {rate}/s CPU per email {k}", v * 1000 / emails, "ms")
                rss[f"{rate}/s"] = {f"{p.name}-{i}": c.rss_mib(p.pid) for i, p in enumerate(procs)}
                r = results[rate]
                print(
                    f"{rate}/s (sent at {r['rate']:.0f}/s): {r['delivered']:.0f}/{r['sent']:.0f} "
                    f"emails, {r['failed']:.0f} failed POSTs; POST -> SMTP p50 {r['p50']:.1f} ms, "
                    f"p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms",
                    flush=True,
                )
                if urgent:
                    print(
                        f"  {len(urgent)} emergencies posted meanwhile: POST -> call request "
                        + ", ".join(f"{ms:.0f}" for ms in urgent)
                        + " ms"
                    )
                    c.figure(f"e2e {rate}/s emergency POST -> call (worst)", max(urgent), "ms")
                await asyncio.sleep(2)
    finally:
        await phone.stop()
        sink.terminate()
        await sink.wait()
        reader.cancel()
        c.delete_vhost(vhost)
        await c.drop_database(db_name)
        if args.keep:
            print(f"service logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    targets = {200: "< 50 ms", 500: "< 250 ms"}
    for rate, r in results.items():
        c.figure(f"e2e {rate}/s p50", r["p50"], "ms")
        c.figure(f"e2e {rate}/s p99", r["p99"], "ms", targets.get(rate, ""))
        c.figure(f"e2e {rate}/s delivered", f"{r['delivered']:.0f}/{r['sent']:.0f}")
    print("\nresident memory (MiB):")
    for when, by_proc in rss.items():
        print(f"  {when:8} " + "  ".join(f"{k} {v:.0f}" for k, v in by_proc.items()))
        for name, value in by_proc.items():
            c.figure(f"RSS {name} ({when})", value, "MiB")
    return 0


def cpu_by_process(procs: list[c.Proc], sink_pid: int) -> dict[str, float]:
    """CPU seconds so far of each service, the broker, the database and the apparatus."""
    cpu = {f"{p.name}-{i}": c.cpu_seconds(p.pid) for i, p in enumerate(procs)}
    cpu["rabbitmq"] = c.cpu_seconds_of("beam.smp")
    cpu["postgres"] = c.cpu_seconds_of("postgres")
    cpu["smtp-sink"] = c.cpu_seconds(sink_pid)
    cpu["load-generator"] = time.process_time()
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--triage", type=int, default=1, help="triage worker processes")
    parser.add_argument("--profile", action="store_true", help="py-spy every service per step")
    parser.add_argument(
        "--sink",
        choices=["lean", "aiosmtpd"],
        default="lean",
        help="the SMTP server (its own process either way): bench/smtp_sink.py's lean "
        "one (default) or aiosmtpd, as the tests use",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for every service (e.g. SMTP_POOL_SIZE=8); repeatable",
    )
    parser.add_argument(
        "--emergencies",
        type=int,
        default=5,
        help="emergencies posted during each step, timed to their call request",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (the services' logs)"
    )
    args = parser.parse_args()
    return int(c.run(main_async(args)) or 0)  # type: ignore[call-overload]


if __name__ == "__main__":
    sys.exit(main())
