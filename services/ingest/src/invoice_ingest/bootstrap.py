"""The one place that wires ingest: real adapters in the lifespan, or fakes handed in by tests."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from invoice_platform.bus import EventAppender, ensure_invoice_stream, make_broker, ping_bus
from invoice_platform.storage import object_store_from_settings
from invoice_platform.tokens import JwksKeySet, TokenVerifier
from invoice_platform.web import create_service_app

from invoice_ingest.entrypoints.http import router
from invoice_ingest.ports import InvoiceEventAppender, ObjectStore
from invoice_ingest.service import IngestService
from invoice_ingest.settings import IngestSettings

logger = logging.getLogger(__name__)

SERVICE = "ingest"


def create_app(
    settings: IngestSettings | None = None,
    *,
    keys: JwksKeySet | None = None,
    store: ObjectStore | None = None,
    appender: InvoiceEventAppender | None = None,
) -> FastAPI:
    """The ingest app. Whatever is not handed in is built from settings when the app starts:
    the JetStream appender, the object store, and the signing keys fetched from auth."""
    settings = settings or IngestSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            checks = app.state.readiness_checks
            event_appender = appender
            if event_appender is None:
                broker = make_broker(settings.nats_url, SERVICE)
                await broker.connect()
                stack.push_async_callback(broker.stop)
                await ensure_invoice_stream(broker)
                event_appender = EventAppender(broker)
                checks["bus"] = partial(ping_bus, broker)
            object_store = store or await _object_store(settings)
            checks["object_store"] = object_store.ping
            key_set = keys or JwksKeySet(settings.auth_jwks_url)
            checks["signing_keys"] = key_set.ready

            app.state.settings = settings
            app.state.token_verifier = TokenVerifier(key_set)
            app.state.ingest = IngestService(
                object_store,
                event_appender,
                presigned_url_ttl=timedelta(seconds=settings.presigned_url_ttl_seconds),
            )
            logger.info(
                "ingest ready: %s object store, uploads up to %d bytes",
                settings.object_store if store is None else type(object_store).__name__,
                settings.max_upload_bytes,
            )
            yield

    app = create_service_app(
        SERVICE,
        settings,
        title="Invoice ingest",
        description="Accepts invoice uploads, stores the files and records InvoiceUploaded.",
        lifespan=lifespan,
    )
    app.include_router(router)
    return app


async def _object_store(settings: IngestSettings) -> ObjectStore:
    return await object_store_from_settings(
        settings.object_store,
        path=settings.object_store_path,
        s3_endpoint=settings.s3_endpoint,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key.get_secret_value(),
        s3_bucket=settings.s3_bucket,
        s3_secure=settings.s3_secure,
    )
