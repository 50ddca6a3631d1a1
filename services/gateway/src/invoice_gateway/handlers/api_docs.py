"""The merged API description, fetched from the backends on demand and cached."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from invoice_gateway.domain.api_docs import merge_api_documents
from invoice_gateway.domain.errors import (
    BackendTimedOut,
    BackendUnavailable,
    BackendUnreachable,
)
from invoice_gateway.domain.routing import Backend, RoutingTable

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "The invoice backend as a frontend sees it: every endpoint goes through this gateway. "
    "Endpoints marked with a lock need 'Authorization: Bearer <access token>'."
)


class ApiDescriptionSource(Protocol):
    async def api_description(self, backend: Backend) -> dict[str, Any]: ...


class MergedApiDescription:
    def __init__(
        self,
        source: ApiDescriptionSource,
        table: RoutingTable,
        *,
        title: str,
        version: str,
        fresh_seconds: float = 60.0,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.table = table
        self.title = title
        self.version = version
        self.fresh_seconds = fresh_seconds
        # A document missing a backend is kept only briefly, so it heals soon after the backend.
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._document: dict[str, Any] | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            if self._document is None or self.clock() >= self._expires_at:
                self._document, complete = await self._build()
                lifetime = self.fresh_seconds if complete else self.retry_seconds
                self._expires_at = self.clock() + lifetime
            return self._document

    async def _fetch(self, backend: Backend) -> dict[str, Any] | BackendUnavailable:
        try:
            return await self.source.api_description(backend)
        except BackendUnavailable as exc:
            logger.warning("API description of the %s service unavailable: %s", backend, exc.reason)
            return exc

    async def _build(self) -> tuple[dict[str, Any], bool]:
        backends = list(Backend)
        outcomes = await asyncio.gather(*(self._fetch(backend) for backend in backends))
        documents: dict[Backend, dict[str, Any]] = {}
        missing: dict[Backend, str] = {}
        for backend, outcome in zip(backends, outcomes, strict=True):
            if isinstance(outcome, BackendUnavailable):
                missing[backend] = _public_reason(outcome)
            else:
                documents[backend] = outcome
        document = merge_api_documents(
            self.table,
            documents,
            missing,
            title=self.title,
            version=self.version,
            description=DESCRIPTION,
        )
        return document, not missing


def _public_reason(failure: BackendUnavailable) -> str:
    """Why a backend is missing, in words that reveal nothing about the internal network."""
    if isinstance(failure, BackendTimedOut):
        return "it did not answer in time"
    if isinstance(failure, BackendUnreachable):
        return "it cannot be reached"
    return failure.reason
