"""The one place that wires auth together, with the real database or a given store."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from invoice_platform.tokens import TokenVerifier
from invoice_platform.web import create_service_app

from invoice_auth.adapters.own_keys import OwnKeySet
from invoice_auth.adapters.postgres import PostgresAuthStore
from invoice_auth.adapters.store import AuthStore, StoreUnavailable
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.domain.passwords import PasswordHashing
from invoice_auth.domain.throttling import LoginThrottle
from invoice_auth.entrypoints.http import (
    MAX_BODY_BYTES,
    AuthRuntime,
    install_error_handlers,
    router,
)
from invoice_auth.entrypoints.limits import BodySizeLimit
from invoice_auth.service import (
    AuthService,
    Clock,
    CurrentSigningKey,
    prepare_signing_key,
    utc_now,
)
from invoice_auth.settings import AuthSettings

logger = logging.getLogger(__name__)

StoreFactory = Callable[[AuthSettings], AuthStore]
STARTUP_RETRY_SECONDS = 1.0


def postgres_store(settings: AuthSettings) -> AuthStore:
    return PostgresAuthStore.from_url(settings.database_url, pool_size=settings.database_pool_size)


async def _signing_key_when_store_answers(
    settings: AuthSettings, store: AuthStore, box: SecretBox, clock: Clock
) -> None:
    # The database may still be starting next to us (compose, the local runner): wait for
    # it a bounded while rather than exit and rely on a restart policy.
    deadline = time.monotonic() + settings.startup_timeout_seconds
    while True:
        try:
            return await prepare_signing_key(store, box, clock())
        except StoreUnavailable as exc:
            if time.monotonic() >= deadline:
                raise
            logger.warning("auth database not reachable yet (%s); retrying", exc.__cause__ or exc)
            await asyncio.sleep(STARTUP_RETRY_SECONDS)


async def start(
    settings: AuthSettings,
    store: AuthStore,
    *,
    clock: Clock = utc_now,
    passwords: PasswordHashing | None = None,
) -> AuthRuntime:
    """Migrates the store, loads the signing key and builds the service on top."""
    if settings.settings_encryption_key is None:
        logger.warning(
            "AUTH_SETTINGS_ENCRYPTION_KEY is not set: stored secrets are sealed with the fixed "
            "development key, which protects nothing (allowed outside production only)"
        )
    box = SecretBox(settings.encryption_key)
    await _signing_key_when_store_answers(settings, store, box, clock)
    signing_key = CurrentSigningKey(store, box, clock)
    # Read now, so that a key sealed under another encryption key stops the start.
    first_key = await signing_key.get()
    if passwords is None:
        # Hashing the dummy password takes a moment with production parameters.
        passwords = await asyncio.to_thread(
            PasswordHashing.for_profile, settings.password_hash_profile
        )
    service = AuthService(
        store,
        passwords,
        signing_key,
        box,
        access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        default_model=settings.default_model,
        login_throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            window=timedelta(seconds=settings.login_failure_window_seconds),
        ),
        clock=clock,
    )
    verifier = TokenVerifier(OwnKeySet(service.public_keys))
    logger.info("auth ready; signing with key %s", first_key.kid)
    return AuthRuntime(settings=settings, service=service, verifier=verifier)


def create_app(
    settings: AuthSettings | None = None,
    *,
    store_factory: StoreFactory = postgres_store,
    clock: Clock = utc_now,
    passwords: PasswordHashing | None = None,
) -> FastAPI:
    settings = settings or AuthSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = store_factory(settings)
        try:
            app.state.auth = await start(settings, store, clock=clock, passwords=passwords)
            app.state.readiness_checks["database"] = store.ping
            yield
        finally:
            await store.close()

    app = create_service_app(
        "auth",
        settings,
        title="Invoice backend: auth",
        description="Accounts, sessions, per-user extraction settings and the signing keys.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    install_error_handlers(app)
    app.include_router(router)
    return app
