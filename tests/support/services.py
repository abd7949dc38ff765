"""Per-run isolation on the shared local services: a vhost, a database."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from urllib.parse import quote

import asyncpg

from shared.settings import DEFAULT_RABBITMQ_URL

BROKER_ROOT = os.environ.get("TEST_RABBITMQ_URL", DEFAULT_RABBITMQ_URL).rstrip("/")
POSTGRES_ADMIN = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, "-q", *args], check=True, capture_output=True, timeout=60)


def create_vhost(prefix: str = "test") -> tuple[str, str]:
    """A fresh vhost the guest user may use: (name, AMQP URL)."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name, f"{BROKER_ROOT}/{quote(name, safe='')}"


def delete_vhost(name: str) -> None:
    rabbitmqctl("delete_vhost", name)


async def create_database(prefix: str = "test") -> tuple[str, str]:
    """A fresh, empty database: (name, URL)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
