"""Intake throughput and latency next to its floor, in one run.

Starts the real intake (`python -m intake serve`, uvloop, JSON logs to a file,
spool enabled, rate limits raised for one client) and bench/floor_server.py
(a bare aiohttp handler that validates the same model and publishes with
confirms), each on its own vhost of the local broker, one process each.
Drives them with wrk (64 connections, one thread, valid contact-form JSON),
alternating floor, intake, floor, intake, ... and reports the medians.
Queues are purged between runs so both always publish into a short queue.

Run: uv run python bench/bench_intake.py [--runs 3] [--seconds 10] [--connections 64]
     [--profile py-spy|none]   (py-spy: record the intake during one extra run)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as c

from shared.topology import TRIAGE_QUEUE

BODY = {
    "name": "Ana Example",
    "email": "ana@example.org",
    "subject": "Support group",
    "message": "Hello, when does the caregiver support group meet next month? Thank you.",
}

LUA = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "JSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"p50_us\\":%%d,\\"p99_us\\":%%d," ..
    "\\"socket_errors\\":%%d,\\"bad_status\\":%%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    raw = json.loads(line[5:])
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["socket_errors"] + raw["bad_status"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per server (alternating)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--profile", choices=("none", "py-spy"), default="none")
    parser.add_argument("--native", action="store_true", help="py-spy --native (C frames)")
    parser.add_argument("--log-level", default="info", help="the intake's LOG_LEVEL")
    parser.add_argument(
        "--intake-pythonpath",
        default="",
        help="PYTHONPATH for the intake only, e.g. an older checkout's src folders (before/after)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    floor_vhost, floor_url = c.create_vhost("bench-floor")
    intake_vhost, intake_url = c.create_vhost("bench-intake")
    floor_port, intake_port = c.free_port(), c.free_port()
    floor = c.Proc(
        "floor",
        [
            sys.executable,
            str(c.ROOT / "bench/floor_server.py"),
            "--port",
            str(floor_port),
            "--url",
            floor_url,
        ],
        {},
        work / "floor.log",
    )
    intake = c.service(
        "intake",
        {
            "RABBITMQ_URL": intake_url,
            "INTAKE_PORT": str(intake_port),
            "INTAKE_RATE_LIMIT_PER_MINUTE": "100000000",
            "INTAKE_RATE_LIMIT_BURST": "1000000",
            "INTAKE_SPOOL_DIR": str(work / "spool"),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": args.log_level,
            **({"PYTHONPATH": args.intake_pythonpath} if args.intake_pythonpath else {}),
        },
        work,
    )
    script = work / "post.lua"
    script.write_text(LUA % json.dumps(BODY))
    targets = {
        "floor": (f"http://127.0.0.1:{floor_port}/v1/forms/contact", floor_url),
        "intake": (f"http://127.0.0.1:{intake_port}/v1/forms/contact", intake_url),
    }
    results: dict[str, list[dict[str, float]]] = {"floor": [], "intake": []}
    procs = {"floor": floor, "intake": intake}
    try:
        with c.processes(floor, intake):
            c.wait_http(f"http://127.0.0.1:{floor_port}/readyz", floor)
            c.wait_http(f"http://127.0.0.1:{intake_port}/readyz", intake)
            for url, amqp in targets.values():
                wrk(url, script, args.warmup, args.connections)
                asyncio.run(c.purge(amqp, TRIAGE_QUEUE))
            for run in range(args.runs):
                for name, (url, amqp) in targets.items():
                    time.sleep(1)
                    pid = procs[name].pid
                    user0, sys0 = c.cpu_split(pid)
                    figures = wrk(url, script, args.seconds, args.connections)
                    requests = figures["rps"] * args.seconds
                    user1, sys1 = c.cpu_split(pid)
                    figures["user_us"] = (user1 - user0) / requests * 1e6
                    figures["sys_us"] = (sys1 - sys0) / requests * 1e6
                    figures["cpu_us"] = figures["user_us"] + figures["sys_us"]
                    results[name].append(figures)
                    asyncio.run(c.purge(amqp, TRIAGE_QUEUE))
                    print(
                        f"run {run + 1} {name:6}: {figures['rps']:7.0f} req/s  "
                        f"p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms  "
                        f"CPU {figures['cpu_us']:5.0f} us/req "
                        f"(user {figures['user_us']:.0f}, sys {figures['sys_us']:.0f})  "
                        f"errors {figures['errors']:.0f}",
                        flush=True,
                    )
            if args.profile == "py-spy":
                for name, (url, amqp) in targets.items():
                    out = c.ROOT / "bench" / "profiles" / f"{name}.speedscope.json"
                    spy = c.record_profile(procs[name].pid, out, args.seconds, native=args.native)
                    figures = wrk(url, script, args.seconds, args.connections)
                    spy.wait(60)
                    asyncio.run(c.purge(amqp, TRIAGE_QUEUE))
                    print(f"profile of {name} ({figures['rps']:.0f} req/s): {out}")
            intake_rss = c.rss_mib(intake.pid)
    finally:
        c.delete_vhost(floor_vhost)
        c.delete_vhost(intake_vhost)
        shutil.rmtree(work, ignore_errors=True)

    med = {
        name: {
            key: c.median([r[key] for r in runs]) for key in ("rps", "p50_ms", "p99_ms", "cpu_us")
        }
        for name, runs in results.items()
    }
    ratio = med["intake"]["rps"] / med["floor"]["rps"]
    print(f"\nmedians of {args.runs} runs, {args.connections} connections, {args.seconds} s each")
    print(f"{'':8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>12}")
    for name, m in med.items():
        print(f"{name:8}{m['rps']:9.0f}{m['p50_ms']:9.1f}{m['p99_ms']:9.1f}{m['cpu_us']:12.0f}")
    cpu_ratio = med["floor"]["cpu_us"] / med["intake"]["cpu_us"]
    print(
        f"intake / floor: rate {ratio:.1%}, CPU-per-request parity {cpu_ratio:.1%} (target >= 90%)"
    )
    errors = sum(r["errors"] for runs in results.values() for r in runs)
    c.figure("intake floor req/s", med["floor"]["rps"], "req/s")
    c.figure("intake floor p99", med["floor"]["p99_ms"], "ms")
    c.figure("intake req/s", med["intake"]["rps"], "req/s")
    c.figure("intake p50", med["intake"]["p50_ms"], "ms")
    c.figure("intake p99", med["intake"]["p99_ms"], "ms")
    c.figure("intake / floor rate", f"{ratio:.1%}", "", ">= 90%")
    c.figure("intake CPU per request", med["intake"]["cpu_us"], "us")
    c.figure("floor CPU per request", med["floor"]["cpu_us"], "us")
    c.figure("intake RSS after load", intake_rss, "MiB")
    if errors:
        print(f"WARNING: {errors:.0f} socket errors or non-2xx answers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
