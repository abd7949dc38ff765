"""The images compose and Kubernetes run: built from the Dockerfiles, started
as Kubernetes starts them (`args: ["serve"]`), wired to the real broker,
database, SMTP server and phone stand-in.

Needs a Docker daemon and the base image (`python:3.11-slim`), so it is not
part of `make test`: `make images` runs it (README, Operations).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.containers import SERVICES, Container, build, daemon_reachable, docker
from tests.support.ports import free_port
from tests.support.service_stack import stack_env
from tests.support.smtp import SmtpServer
from tests.support.submissions import EMERGENCY
from tests.support.twilio import TwilioStandIn

pytestmark = [pytest.mark.images, pytest.mark.timeout(900)]

SERVICE_USER_ID = "10001"


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, str]]:
    if not daemon_reachable():
        pytest.skip("no Docker daemon")
    run = uuid.uuid4().hex[:8]
    tags = {service: f"inquiry-{service}:test-{run}" for service in SERVICES}
    try:
        for service, tag in tags.items():
            build(service, tag)
        yield tags
    finally:
        docker("rmi", "--force", *tags.values(), check=False)


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
async def phone() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("images")
    # The containers' user reads the routing file written here.
    for path in (folder, *folder.parents):
        if path.stat().st_uid == 0 and path != Path("/"):
            path.chmod(path.stat().st_mode | 0o055)
    return folder


@pytest.fixture(scope="module")
async def containers(
    images: dict[str, str],
    workdir: Path,
    module_rabbitmq_url: str,
    module_database_url: str,
    smtp: SmtpServer,
    phone: TwilioStandIn,
) -> AsyncIterator[dict[str, Container]]:
    env = stack_env(
        workdir, module_rabbitmq_url, module_database_url, smtp_port=smtp.port, phone=phone
    )
    del env["INTAKE_SPOOL_DIR"]  # the image's own, on a volume as in compose
    (workdir / "routing.yaml").chmod(0o644)
    spool = f"inquiry-test-spool-{uuid.uuid4().hex[:8]}"
    mounts = {service: (f"{workdir}:{workdir}:ro",) for service in SERVICES}
    mounts["intake"] += (f"{spool}:/var/spool/intake",)
    running = {
        service: Container(images[service], service, free_port(), env, mounts[service])
        for service in SERVICES
    }
    try:
        for container in running.values():
            container.start()
        for container in running.values():
            await container.wait_ready()
        yield running
    finally:
        for container in running.values():
            container.remove()
        docker("volume", "rm", "--force", spool, check=False)


def test_each_image_runs_its_service_as_an_unprivileged_user_and_passes_its_healthcheck(
    containers: dict[str, Container],
) -> None:
    for service, container in containers.items():
        assert container.exec("id", "-u").stdout.strip() == SERVICE_USER_ID, service
        check = container.healthcheck()
        assert check.returncode == 0, (service, check.stderr)


async def test_an_emergency_posted_to_the_intake_image_ends_in_a_call_and_an_email(
    containers: dict[str, Container], smtp: SmtpServer, phone: TwilioStandIn
) -> None:
    url = f"{containers['intake'].url}/v1/forms/contact"
    async with aiohttp.ClientSession() as session, session.post(url, json=EMERGENCY) as response:
        assert response.status == 202, await response.text()
        submission_id = str((await response.json())["id"])
    await wait_until(lambda: any(submission_id[:8] in c.get("Twiml", "") for c in phone.calls()))
    await wait_until(lambda: bool(smtp.inbox.about(submission_id)))


def test_each_service_stops_cleanly_on_docker_stop(containers: dict[str, Container]) -> None:
    for service, container in containers.items():
        assert container.stop() == 0, (service, container.logs()[-3000:])
        events = [json.loads(line)["event"] for line in container.logs().splitlines()]
        assert f"{service}.stopped" in events, (service, events[-5:])


async def test_the_intake_image_spools_into_a_fresh_named_volume_while_the_broker_is_down(
    images: dict[str, str],
) -> None:
    """Compose mounts a new, empty named volume at the spool folder: Docker
    gives it the image folder's owner, so the intake's user must own that
    folder or every submission during a broker outage gets a 503."""
    volume = f"inquiry-test-spool-{uuid.uuid4().hex[:8]}"
    intake = Container(
        images["intake"],
        "intake",
        free_port(),
        {"RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/", "LOG_FORMAT": "json"},
        mounts=(f"{volume}:/var/spool/intake",),
    )
    try:
        intake.start()
        await intake.wait_ready("/readyz?accepting")
        url = f"{intake.url}/v1/forms/contact"
        async with aiohttp.ClientSession() as session, session.post(url, json=EMERGENCY) as answer:
            assert answer.status == 202, await answer.text()
        spooled = intake.exec("find", "/var/spool/intake", "-name", "*.json").stdout.split()
        assert len(spooled) == 1, spooled
    finally:
        intake.remove()
        docker("volume", "rm", "--force", volume, check=False)


async def wait_until(check: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - external state (an inbox, a call log)
            await asyncio.sleep(0.05)
