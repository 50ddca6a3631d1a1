"""The one place that wires the extractor: real adapters by default, fakes where a test says."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import openai
from fastapi import FastAPI
from faststream.nats import ConsumerConfig, NatsBroker
from faststream.nats.subscriber.usecases import PullStreamSubscriber
from invoice_contracts.extraction import ProviderName
from invoice_platform.bus import EventAppender, ensure_invoice_stream, make_broker, ping_bus
from invoice_platform.storage import ObjectStore, object_store_from_settings
from invoice_platform.web import create_service_app

from invoice_extractor.adapters.auth_settings import AuthSettingsClient
from invoice_extractor.adapters.documents import ObjectStoreDocuments
from invoice_extractor.adapters.key_slots import KeySlots
from invoice_extractor.adapters.offline_provider import OfflineProvider
from invoice_extractor.adapters.openai_provider import (
    OpenAIClients,
    OpenAIProvider,
    openai_client,
)
from invoice_extractor.domain.call_retry import CallRetryPolicy
from invoice_extractor.domain.model import ExtractionProvider
from invoice_extractor.entrypoints.consumer import (
    UPLOADED_SUBJECTS,
    ExtractionWorkers,
    consumer_config,
    declare_consumer,
    subscribe_uploads,
)
from invoice_extractor.handlers.extract_invoice import ExtractInvoice, RetryPolicy
from invoice_extractor.settings import ExtractorSettings

logger = logging.getLogger(__name__)

SERVICE = "extractor"


@dataclass
class Extractor:
    settings: ExtractorSettings
    broker: NatsBroker
    object_store: ObjectStore
    consumer: ConsumerConfig
    subscriber: PullStreamSubscriber
    workers: ExtractionWorkers
    handler: ExtractInvoice
    openai_clients: OpenAIClients
    offline: OfflineProvider
    http: httpx.AsyncClient

    async def start(self) -> None:
        await self.broker.connect()
        await ensure_invoice_stream(self.broker)
        await declare_consumer(self.broker, self.consumer)
        await self.openai_clients.warm_up()
        await self.broker.start()
        logger.info(
            "consuming %s as durable %s with up to %d extractions at once",
            self.consumer.filter_subject,
            self.consumer.durable_name,
            self.settings.concurrency,
        )

    async def stop(self) -> None:
        # Fetching stops first; running extractions may still ack over the open connection.
        await self.subscriber.stop()
        await self.workers.close(self.settings.shutdown_grace_seconds)
        await self.broker.stop()
        await self.openai_clients.close()
        await self.http.aclose()
        self.offline.close()

    async def check_bus(self) -> None:
        await ping_bus(self.broker)

    async def check_object_store(self) -> None:
        await self.object_store.ping()


def openai_client_factory(settings: ExtractorSettings) -> OpenAIClients:
    def create(api_key: str) -> openai.AsyncOpenAI:
        return openai_client(
            api_key,
            base_url=settings.openai_base_url,
            timeout_seconds=settings.openai_timeout_seconds,
        )

    return OpenAIClients(create, capacity=settings.openai_client_cache_size)


async def build_extractor(
    settings: ExtractorSettings,
    *,
    object_store: ObjectStore | None = None,
    auth_transport: httpx.AsyncBaseTransport | None = None,
    providers: Mapping[ProviderName, ExtractionProvider] | None = None,
    subject: str = UPLOADED_SUBJECTS,
) -> Extractor:
    """Everything but the connection, which `Extractor.start` opens.

    `subject` narrows the consumer (tests use one invoice's subject so that they never take
    other tests' uploads from a shared NATS server).
    """
    if object_store is None:
        secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
        object_store = await object_store_from_settings(
            settings.object_store,
            path=settings.object_store_path,
            s3_endpoint=settings.s3_endpoint,
            s3_access_key=settings.s3_access_key,
            s3_secret_key=secret,
            s3_bucket=settings.s3_bucket,
            s3_secure=settings.s3_secure,
        )
    # One kept-alive connection per worker: with httpx's default of 20, a busier extractor
    # would open and close a connection to auth for most invoices.
    connections = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    http = httpx.AsyncClient(
        timeout=settings.auth_timeout_seconds, transport=auth_transport, limits=connections
    )
    openai_clients = openai_client_factory(settings)
    offline = OfflineProvider(
        timeout_seconds=settings.offline_timeout_seconds,
        page_timeout_seconds=settings.offline_page_timeout_seconds,
        max_pages=settings.offline_max_pages,
        max_image_pixels=settings.offline_max_image_pixels,
        max_threads=settings.concurrency,
    )
    chosen: Mapping[ProviderName, ExtractionProvider] = providers or {
        "openai": OpenAIProvider(
            openai_clients,
            default_model=settings.default_model,
            timeout_seconds=settings.openai_timeout_seconds,
            slots=KeySlots(settings.openai_max_in_flight_per_key),
            retry=CallRetryPolicy(budget_seconds=settings.openai_retry_budget_seconds),
        ),
        "offline": offline,
    }

    # FastStream's "Received"/"Processed" line per message only at DEBUG: the handler logs each
    # delivery's outcome with its invoice id already.
    broker = make_broker(settings.nats_url, SERVICE, log_level=logging.DEBUG)
    handler = ExtractInvoice(
        documents=ObjectStoreDocuments(object_store),
        settings=AuthSettingsClient(
            http, settings.auth_internal_url, settings.internal_service_token
        ),
        providers=chosen,
        appender=EventAppender(broker),
        retry=RetryPolicy(
            max_deliver=settings.max_deliver,
            base_seconds=settings.retry_base_seconds,
            cap_seconds=settings.retry_cap_seconds,
        ),
    )
    workers = ExtractionWorkers(
        handler,
        concurrency=settings.concurrency,
        lease_interval_seconds=settings.lease_interval_seconds,
    )
    # JetStream delivers without limit: the handler counts deliveries and gives up with a
    # failure event after max_deliver, so a message only leaves once its outcome is recorded.
    consumer = consumer_config(
        durable=settings.durable,
        subject=subject,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=-1,
    )
    subscriber = subscribe_uploads(broker, workers, consumer)
    return Extractor(
        settings=settings,
        broker=broker,
        object_store=object_store,
        consumer=consumer,
        subscriber=subscriber,
        workers=workers,
        handler=handler,
        openai_clients=openai_clients,
        offline=offline,
        http=http,
    )


def create_app(
    settings: ExtractorSettings | None = None,
    *,
    object_store: ObjectStore | None = None,
    auth_transport: httpx.AsyncBaseTransport | None = None,
    providers: Mapping[ProviderName, ExtractionProvider] | None = None,
    subject: str = UPLOADED_SUBJECTS,
) -> FastAPI:
    """The extractor's process: health and metrics over HTTP, the consumer in its lifespan."""
    settings = settings or ExtractorSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        extractor = await build_extractor(
            settings,
            object_store=object_store,
            auth_transport=auth_transport,
            providers=providers,
            subject=subject,
        )
        app.state.extractor = extractor
        app.state.readiness_checks.update(
            {"bus": extractor.check_bus, "object_store": extractor.check_object_store}
        )
        try:
            await extractor.start()
            yield
        finally:
            await extractor.stop()

    return create_service_app(
        SERVICE,
        settings,
        title="Invoice extractor",
        description="Turns uploaded invoices into extracted data; health and metrics only.",
        lifespan=lifespan,
        docs=False,
    )
