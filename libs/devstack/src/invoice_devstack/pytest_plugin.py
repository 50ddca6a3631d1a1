"""Session-wide infrastructure for the tests: NATS, PostgreSQL, an S3 server, a fake OpenAI.

Each fixture starts its component only when a test asks for it, and stops it at session end.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from invoice_devstack.fake_openai import FakeOpenAI
    from invoice_devstack.nats import NatsServer
    from invoice_devstack.postgres import PostgresServer
    from invoice_devstack.s3 import S3Server

logger = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server with JetStream for the whole session."""
    from invoice_devstack.nats import NatsServer

    with NatsServer(tmp_path_factory.mktemp("nats") / "jetstream") as server:
        yield server


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresServer]:
    """The session's PostgreSQL: $TEST_POSTGRES_URL, testcontainers, or local binaries."""
    from invoice_devstack.postgres import postgres_for_tests

    with postgres_for_tests() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-protocol server (moto) for the whole session."""
    from invoice_devstack.s3 import S3Server

    with S3Server() as server:
        yield server


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    """The fake OpenAI server for the whole session; call reset() between tests."""
    from invoice_devstack.fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        yield server


def _database_name(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", test_name.lower()).strip("_")[:40]
    return f"t_{slug}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def fresh_database(
    postgres_cluster: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Awaitable[str]]]:
    """`await fresh_database()` gives the postgresql+asyncpg URL of a new, empty database."""
    created: list[str] = []

    async def create() -> str:
        name = _database_name(request.node.name)
        await postgres_cluster.acreate_database(name)
        created.append(name)
        return postgres_cluster.url(name)

    yield create
    for name in created:
        try:
            postgres_cluster.drop_database(name)
        except Exception:
            # A database left behind costs disk space, not correctness: the names are unique.
            logger.warning("could not drop test database %s", name, exc_info=True)
