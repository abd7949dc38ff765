"""Start-up time of each service: from process start to `/readyz` answering 200
(broker connected, topology declared, consumers attached).

Target for triage: under 2 seconds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

from _common import free_port

PORT_VARIABLE = {"intake": "INTAKE_PORT", "triage": "TRIAGE_HTTP_PORT", "notifier": "NOTIFIER_PORT"}


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start_once(service: str) -> float:
    port = free_port()
    env = {
        **os.environ,
        PORT_VARIABLE[service]: str(port),
        "LOG_LEVEL": "warning",
        "INTAKE_SPOOL_DIR": "",
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", service, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + 30
        while not ready(port):
            if time.perf_counter() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{service} did not become ready")
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    print("service    start-up to ready (median of 3)")
    for service in PORT_VARIABLE:
        times = [start_once(service) for _ in range(3)]
        print(f"{service:<10} {statistics.median(times) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
