"""The backends over HTTP, through one pooled client shared by every request."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any

import httpx
from prometheus_client import Histogram

from invoice_gateway.domain.errors import (
    BackendInterrupted,
    BackendTimedOut,
    BackendUnavailable,
    BackendUnreachable,
)
from invoice_gateway.domain.headers import Headers
from invoice_gateway.domain.routing import Backend

logger = logging.getLogger(__name__)

UPSTREAM_LATENCY = Histogram(
    "gateway_upstream_request_duration_seconds",
    "Time until a backend's answer starts, by backend and status",
    ["backend", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

CONNECT_TIMEOUT_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 3.0
# httpx adds these to every request by default; a backend must see only what the client sent.
_CLIENT_DEFAULT_HEADERS = ("accept", "accept-encoding", "user-agent")


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT_SECONDS))


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


class HttpReply:
    """A backend's answer whose body has not been read yet."""

    def __init__(self, backend: Backend, response: httpx.Response) -> None:
        self.backend = backend
        self.status = response.status_code
        self.headers: Headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
        ]
        self._response = response

    async def body(self) -> AsyncIterator[bytes]:
        """The body as it arrives, undecoded, so Content-Encoding and Content-Length still hold."""
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise BackendInterrupted(self.backend, _reason(exc)) from exc
        finally:
            await self._response.aclose()

    async def close(self) -> None:
        await self._response.aclose()


class HttpBackends:
    def __init__(
        self,
        base_urls: Mapping[Backend, str],
        *,
        timeout_seconds: float,
        max_connections: int = 200,
        max_keepalive_connections: int = 50,
    ) -> None:
        self.base_urls = {backend: httpx.URL(url) for backend, url in base_urls.items()}
        self.timeout_seconds = timeout_seconds
        self.limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive_connections
        )
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        client = httpx.AsyncClient(
            timeout=_timeout(self.timeout_seconds),
            limits=self.limits,
            follow_redirects=False,
            # Proxy settings in the environment are for outbound traffic, not for backends.
            trust_env=False,
        )
        for name in _CLIENT_DEFAULT_HEADERS:
            del client.headers[name]
        self._client = client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the backend client is used before the gateway started")
        return self._client

    def url(self, backend: Backend, target: bytes) -> httpx.URL:
        base = self.base_urls[backend]
        return base.copy_with(raw_path=base.raw_path.rstrip(b"/") + target)

    async def open(
        self,
        backend: Backend,
        method: str,
        target: bytes,
        headers: Headers,
        body: AsyncIterable[bytes] | None,
        *,
        timeout_seconds: float,
    ) -> HttpReply:
        """Send a request, streaming its body, and return once the answer's headers arrived."""
        request = self.client.build_request(
            method,
            self.url(backend, target),
            headers=headers,
            content=body,
            timeout=_timeout(timeout_seconds),
        )
        started = time.perf_counter()
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            UPSTREAM_LATENCY.labels(backend, "timeout").observe(time.perf_counter() - started)
            raise BackendTimedOut(backend, _reason(exc)) from exc
        except httpx.TransportError as exc:
            UPSTREAM_LATENCY.labels(backend, "unreachable").observe(time.perf_counter() - started)
            raise BackendUnreachable(backend, _reason(exc)) from exc
        UPSTREAM_LATENCY.labels(backend, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return HttpReply(backend, response)

    async def _get(self, backend: Backend, path: str) -> httpx.Response:
        try:
            response = await self.client.get(
                self.url(backend, path.encode()), timeout=_timeout(PROBE_TIMEOUT_SECONDS)
            )
        except httpx.TimeoutException as exc:
            raise BackendTimedOut(backend, _reason(exc)) from exc
        except httpx.TransportError as exc:
            raise BackendUnreachable(backend, _reason(exc)) from exc
        if response.status_code != 200:
            raise BackendUnavailable(backend, f"{path} answered {response.status_code}")
        return response

    async def api_description(self, backend: Backend) -> dict[str, Any]:
        response = await self._get(backend, "/openapi.json")
        try:
            document = response.json()
        except ValueError as exc:
            raise BackendUnavailable(backend, "/openapi.json is not JSON") from exc
        if not isinstance(document, dict):
            raise BackendUnavailable(backend, "/openapi.json is not a JSON object")
        return document

    async def check_health(self, backend: Backend) -> None:
        await self._get(backend, "/healthz")
