"""Wires the gateway: settings in, a ready FastAPI app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from invoice_platform.tokens import JwksKeySet, KeySetUnavailable, TokenVerifier
from invoice_platform.web import ReadinessCheck, create_service_app
from starlette.middleware.cors import CORSMiddleware

from invoice_gateway.adapters.backends import HttpBackends
from invoice_gateway.domain.routing import GATEWAY_ROUTES, Backend, RoutingTable
from invoice_gateway.entrypoints.http import install_routes
from invoice_gateway.handlers.api_docs import MergedApiDescription
from invoice_gateway.handlers.forwarding import Forwarder, ForwardingPolicy
from invoice_gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

SERVICE = "gateway"
TITLE = "Invoice backend API"
VERSION = "0.1.0"
CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"]
CORS_EXPOSED_HEADERS = ["X-Request-Id", "Location"]


def create_app(settings: GatewaySettings, *, table: RoutingTable = GATEWAY_ROUTES) -> FastAPI:
    keys = JwksKeySet(settings.jwks_url)
    backends = HttpBackends(
        settings.backend_urls(), timeout_seconds=settings.upstream_timeout_seconds
    )
    forwarder = Forwarder(
        backends,
        ForwardingPolicy(
            max_upload_bytes=settings.max_upload_bytes,
            max_json_bytes=settings.max_json_bytes,
            timeout_seconds=settings.upstream_timeout_seconds,
            upload_timeout_seconds=settings.upload_timeout_seconds,
        ),
    )
    api_description = MergedApiDescription(backends, table, title=TITLE, version=VERSION)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await backends.start()
        try:
            await keys.ready()
        except KeySetUnavailable as exc:
            # Auth may start after the gateway; the keys are fetched again on the first token.
            logger.warning("signing keys not loaded yet: %s", exc)
        try:
            yield
        finally:
            await backends.close()

    readiness: dict[str, ReadinessCheck] = {"signing-keys": keys.ready}
    for backend in Backend:
        readiness[backend.value] = partial(backends.check_health, backend)
    app = create_service_app(
        SERVICE,
        settings,
        title=TITLE,
        version=VERSION,
        description="The one HTTP entry point: token checks, routing, CORS, body limits.",
        readiness=readiness,
        lifespan=lifespan,
        docs=False,
    )
    install_routes(
        app,
        table=table,
        verifier=TokenVerifier(keys),
        forwarder=forwarder,
        api_description=api_description,
        title=TITLE,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=table.methods(),
            allow_headers=CORS_ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=CORS_EXPOSED_HEADERS,
        )
    return app
