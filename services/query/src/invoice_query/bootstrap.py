"""The one place that wires the query service: database, bus, projector, routes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from faststream.nats import NatsBroker
from faststream.nats.subscriber.usecases import LogicSubscriber
from invoice_platform.bus import BusUnavailable, ensure_invoice_stream, make_broker, ping_bus
from invoice_platform.tokens import JwksKeySet, TokenVerifier
from invoice_platform.web import ReadinessCheck, create_service_app
from sqlalchemy.ext.asyncio import AsyncEngine

from invoice_query.adapters.bus import projection_lag, reset_projection_consumer
from invoice_query.adapters.database import SqlReadModel, make_engine
from invoice_query.adapters.migrate import migrate
from invoice_query.entrypoints.consumer import register_projection_consumer
from invoice_query.entrypoints.http import QueryPorts, install_routes
from invoice_query.handlers.projection import Projector
from invoice_query.metrics import PROJECTION_LAG
from invoice_query.settings import QuerySettings

logger = logging.getLogger(__name__)

SERVICE = "query"


@dataclass
class QueryService:
    """The running parts of one query service instance."""

    settings: QuerySettings
    engine: AsyncEngine
    read_model: SqlReadModel
    broker: NatsBroker
    subscriber: LogicSubscriber[Any]
    verifier: TokenVerifier
    _lag_task: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        await migrate(self.engine)
        await self.broker.connect()
        await ensure_invoice_stream(self.broker)
        await self.broker.start()
        self._lag_task = asyncio.create_task(self._measure_lag_forever(), name="projection-lag")
        logger.info("projecting invoice events with consumer %s", self.settings.durable)

    async def stop(self) -> None:
        if self._lag_task is not None:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
            self._lag_task = None
        await self.broker.stop()
        await self.engine.dispose()

    async def measure_lag(self) -> int:
        lag = await projection_lag(self.broker, self.settings.durable)
        PROJECTION_LAG.set(lag)
        return lag

    async def _measure_lag_forever(self) -> None:
        while True:
            try:
                await self.measure_lag()
            except BusUnavailable as exc:
                logger.warning("cannot measure the projection lag: %s", exc)
            await asyncio.sleep(self.settings.lag_interval_seconds)


def build_service(settings: QuerySettings, key_set: JwksKeySet | None = None) -> QueryService:
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    read_model = SqlReadModel(engine)
    # FastStream's per-message "Received"/"Processed" lines go to DEBUG: the projector logs
    # what matters about each event itself, with the invoice's ids.
    broker = make_broker(settings.nats_url, SERVICE, log_level=logging.DEBUG)
    subscriber = register_projection_consumer(
        broker,
        Projector(read_model),
        durable=settings.durable,
        ack_wait_seconds=settings.ack_wait_seconds,
        retry_delay_seconds=settings.retry_delay_seconds,
    )
    verifier = TokenVerifier(key_set or JwksKeySet(settings.auth_jwks_url))
    return QueryService(settings, engine, read_model, broker, subscriber, verifier)


def create_api(
    settings: QuerySettings,
    ports: QueryPorts,
    *,
    readiness: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Any = None,
) -> FastAPI:
    """The HTTP app around the given ports (real ones from create_app, or fakes in tests)."""
    app = create_service_app(
        SERVICE,
        settings,
        title="Invoice query",
        description="History, search and detail of your invoices, read from the event-built "
        "read model.",
        readiness=readiness,
        lifespan=lifespan,
    )
    install_routes(app, ports)
    return app


def create_app(
    settings: QuerySettings | None = None, *, key_set: JwksKeySet | None = None
) -> FastAPI:
    """The query service's app; its lifespan migrates, connects and starts the projection."""
    settings = settings or QuerySettings()
    service = build_service(settings, key_set)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = create_api(
        settings,
        QueryPorts(reader=service.read_model, verifier=service.verifier),
        readiness={
            "database": service.read_model.ping,
            "bus": functools.partial(ping_bus, service.broker),
        },
        lifespan=lifespan,
    )
    app.state.service = service
    return app


async def migrate_read_model(settings: QuerySettings) -> None:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def rebuild(settings: QuerySettings) -> None:
    """Drop the read model and have it projected again from the first event of the stream.

    The tables are emptied before the consumer is reset. A projector still applying events in
    between does no harm: what it applies after the truncation stays and is recognised as
    applied during the replay, and the projection rules do not depend on event order.
    """
    engine = make_engine(settings.database_url, pool_size=1)
    broker = make_broker(settings.nats_url, SERVICE)
    try:
        await migrate(engine)
        await SqlReadModel(engine).clear()
        logger.info("emptied the read model")
        await broker.connect()
        await ensure_invoice_stream(broker)
        await reset_projection_consumer(broker, settings.durable, settings.ack_wait_seconds)
    finally:
        await broker.stop()
        await engine.dispose()
    logger.info("read model will be rebuilt by the projector from stream sequence 1")
