"""Hostile-input tests: one real intake process (real run_app settings, uvloop,
JSON logs on stderr) against a vhost of this run's own, and a registry of every
personal value and secret the tests send, so each test ends by scanning the
logs for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.hostile.hostile_support import HOSTILE_ENV, SECRETS
from tests.support.pii import Sensitive, leaks
from tests.support.service_stack import ServiceProcess, Stack, intake_env
from tests.support.services import create_vhost, delete_vhost


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile: hostile input (fuzzing, injection, huge, slow, malformed requests)"
    )


@pytest.fixture(scope="session")
def hostile_rabbitmq_url() -> Iterator[str]:
    name, url = create_vhost("hostile")
    yield url
    delete_vhost(name)


@pytest.fixture(scope="session")
def sensitive() -> Sensitive:
    """Everything personal or secret any hostile test sent, for the log scans."""
    return Sensitive(set(SECRETS))


@pytest.fixture(scope="session")
async def intake(
    tmp_path_factory: pytest.TempPathFactory, hostile_rabbitmq_url: str
) -> AsyncIterator[ServiceProcess]:
    workdir = tmp_path_factory.mktemp("hostile-intake")
    env = intake_env(
        workdir, hostile_rabbitmq_url, extra={"INTAKE_HOST": "127.0.0.1", **HOSTILE_ENV}
    )
    stack = Stack(workdir, env)
    service = stack.add("intake", "INTAKE_PORT")
    await stack.start_all()
    yield service
    await stack.stop_all()


@pytest.fixture
def intake_url(intake: ServiceProcess) -> str:
    return intake.url


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(
    request: pytest.FixtureRequest, sensitive: Sensitive
) -> Iterator[None]:
    """After each test that used the intake process: its log holds nothing sent."""
    yield
    if "intake" not in request.fixturenames:
        return
    service: ServiceProcess = request.getfixturevalue("intake")
    found = leaks(service.logs(), sensitive.values)
    assert not found, f"intake log shows personal data or secrets: {found[:5]}"
