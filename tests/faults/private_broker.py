"""A private RabbitMQ node for tests that stop and restart "the broker".

The machine's shared RabbitMQ (5672) is never touched: this starts a second
node of the same installation with its own node name, ports, data folder,
logs, config (no plugins) and Erlang cookie, all under a temporary folder.
`stop()` halts it with `rabbitmqctl -n <node> stop`; `start()` brings it back
on the same ports with the same data folder, so durable quorum queues and
their persistent messages survive the restart.

The node runs in the foreground as our child process (we know its pid), so
the fixture can always end exactly the process it started.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.ports import free_port

BIN = Path("/usr/lib/rabbitmq/bin")


def _tool(name: str) -> str:
    # The /usr/sbin wrappers switch to the rabbitmq user and its cookie; the
    # real scripts run as whoever calls them, with the HOME (cookie) we give.
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed")
    return found


class PrivateBroker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.node = f"faults-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        home = folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        plugins = folder / "enabled_plugins"
        plugins.write_text("[].\n")
        config = folder / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users.guest = true\n"
            # Plenty of room: a full disk or a memory alarm is not this test's fault.
            "disk_free_limit.absolute = 50MB\n"
        )
        env_file = folder / "rabbitmq-env.conf"
        # Our own env file, so the system's (NODENAME=rabbit@localhost) is not read.
        env_file.write_text(
            "ERL_EPMD_ADDRESS=127.0.0.1\n"
            'export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n'
        )
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_CONF_ENV_FILE": str(env_file),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
            "RABBITMQ_CONFIG_FILE": str(config),
        }

    def url(self, vhost: str = "/") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{quote(vhost, safe='')}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def ctl(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [_tool("rabbitmqctl"), "-q", "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')[-2000:]}"
            )
        return done.stdout.decode(errors="replace")

    def start(self, timeout: float = 60) -> float:
        """Start the node (same data folder as before); return seconds until it took AMQP."""
        assert not self.running, "already running"
        started = time.monotonic()
        log = (self.folder / "server.out").open("ab")
        self._process = subprocess.Popen(
            [_tool("rabbitmq-server")], env=self.env, stdout=log, stderr=log, cwd=self.folder
        )
        log.close()
        # The AMQP listener opens last in the boot; await_startup then confirms.
        self._wait_port(open_=True, timeout=timeout)
        self.ctl("await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10)
        return time.monotonic() - started

    def stop(self, timeout: float = 60) -> None:
        """Halt the node cleanly (rabbitmqctl stop) and wait for its process to end."""
        if not self.running:
            return
        try:
            self.ctl("stop", timeout=timeout)
        finally:
            assert self._process is not None
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()  # our own child, by its pid
                self._process.wait(timeout=30)
        self._wait_port(open_=False, timeout=timeout)

    def add_vhost(self, prefix: str = "faults") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return name

    def logs(self) -> str:
        out = self.folder / "server.out"
        return out.read_text(errors="replace")[-5000:] if out.exists() else ""

    def _wait_port(self, *, open_: bool, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if open_ and not self.running:
                raise RuntimeError(f"rabbitmq-server exited: {self.logs()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    is_open = True
            except OSError:
                is_open = False
            if is_open == open_:
                return
            time.sleep(0.1)
        raise TimeoutError(f"port {self.port} never became {'open' if open_ else 'closed'}")


@pytest.fixture(scope="module")
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """A RabbitMQ node of this module's own, that its tests may stop and start."""
    if not (BIN / "rabbitmq-server").exists() and shutil.which("rabbitmq-server") is None:
        pytest.skip("rabbitmq-server not installed")
    broker = PrivateBroker(tmp_path_factory.mktemp("rabbitmq"))
    try:
        broker.start()
    except Exception:
        if broker._process is not None and broker._process.poll() is None:
            broker._process.kill()
            broker._process.wait(timeout=30)
        raise
    yield broker
    if broker.running:
        try:
            broker.stop()
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired):
            if broker._process is not None and broker._process.poll() is None:
                broker._process.kill()
                broker._process.wait(timeout=30)
