from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import nats.js.errors
import pytest
from faststream.nats import NatsBroker
from invoice_contracts.events import STREAM_NAME
from invoice_devstack.tokens import AccessTokenIssuer
from invoice_platform.bus import EventAppender, ensure_invoice_stream, make_broker
from invoice_query.adapters.database import make_engine
from invoice_query.adapters.tables import applied_events, invoices
from invoice_query.bootstrap import QueryService, create_app
from invoice_query.settings import QuerySettings
from query_testkit import eventually, running
from sqlalchemy import select


@pytest.fixture(scope="session")
def issuer() -> AccessTokenIssuer:
    return AccessTokenIssuer()


@pytest.fixture
async def bus(nats_server: Any) -> AsyncIterator[NatsBroker]:
    broker = make_broker(nats_server.url, "query-tests")
    await broker.connect()
    await ensure_invoice_stream(broker)
    yield broker
    await broker.stop()


@dataclass
class QueryHarness:
    """A running query service on its own database and durable consumer."""

    client: httpx.AsyncClient
    settings: QuerySettings
    service: QueryService
    bus: NatsBroker
    issuer: AccessTokenIssuer

    async def append(self, *events: Any) -> list[int]:
        appender = EventAppender(self.bus)
        return [(await appender.append(event)).stream_sequence for event in events]

    async def publish_raw(self, body: bytes, subject: str) -> int:
        ack = await self.bus.publish(body, subject, stream=STREAM_NAME, timeout=5)
        return int(ack.seq)

    async def row(self, invoice_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.service.engine.connect() as connection:
            result = await connection.execute(
                select(invoices).where(invoices.c.invoice_id == invoice_id)
            )
            found = result.mappings().first()
        return dict(found) if found else None

    async def is_applied(self, event_id: str) -> bool:
        async with self.service.engine.connect() as connection:
            result = await connection.execute(
                select(applied_events.c.event_id).where(applied_events.c.event_id == event_id)
            )
            return result.first() is not None

    async def wait_applied(self, *events: Any) -> None:
        for event in events:
            await eventually(lambda e=event: self.is_applied(e.id))

    async def acked_through(self, sequence: int) -> None:
        """Wait until the consumer has acknowledged everything up to ``sequence``."""
        js = self.bus.config.connection_state.stream

        async def acked() -> bool:
            info = await js.consumer_info(STREAM_NAME, self.settings.durable)
            return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence

        await eventually(acked)

    async def get(self, path: str, user_id: uuid.UUID, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.issuer.headers(user_id))


def harness_settings(database_url: str, nats_url: str, **values: Any) -> QuerySettings:
    return QuerySettings(
        database_url=database_url,
        nats_url=nats_url,
        durable=f"query-test-{uuid.uuid4().hex[:12]}",
        retry_delay_seconds=0.2,
        lag_interval_seconds=0.2,
        database_pool_size=2,
        **values,
    )


@pytest.fixture
async def query_service(
    fresh_database: Callable[[], Awaitable[str]],
    nats_server: Any,
    bus: NatsBroker,
    issuer: AccessTokenIssuer,
) -> AsyncIterator[QueryHarness]:
    settings = harness_settings(await fresh_database(), nats_server.url)
    app = create_app(settings, key_set=issuer.key_set())
    try:
        async with running(app) as client:
            yield QueryHarness(client, settings, app.state.service, bus, issuer)
    finally:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await bus.config.connection_state.stream.delete_consumer(STREAM_NAME, settings.durable)


@pytest.fixture
async def database_engine(fresh_database: Callable[[], Awaitable[str]]) -> AsyncIterator[Any]:
    """An engine on a new database with the read model's schema, without any bus."""
    from invoice_query.adapters.migrate import migrate

    engine = make_engine(await fresh_database(), pool_size=2)
    await migrate(engine)
    yield engine
    await engine.dispose()
