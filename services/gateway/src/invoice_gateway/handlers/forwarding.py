"""Forwarding one request to the backend that owns its route, body and answer streamed."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from invoice_platform.tracing import inject_trace_headers

from invoice_gateway.domain.errors import BodyTooLarge, MalformedLength
from invoice_gateway.domain.headers import ClientConnection, Headers, forwarded_request_headers
from invoice_gateway.domain.routing import Backend, BodyKind, RouteMatch


class BackendReply(Protocol):
    status: int
    headers: Headers

    def body(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class Backends(Protocol):
    async def open(
        self,
        backend: Backend,
        method: str,
        target: bytes,
        headers: Headers,
        body: AsyncIterable[bytes] | None,
        *,
        timeout_seconds: float,
    ) -> BackendReply: ...


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    raw_path: bytes
    query_string: bytes
    headers: Headers
    body: AsyncIterable[bytes]
    client: ClientConnection
    request_id: str

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


@dataclass(frozen=True)
class ForwardingPolicy:
    max_upload_bytes: int
    max_json_bytes: int
    timeout_seconds: float
    upload_timeout_seconds: float

    def limit_for(self, body: BodyKind) -> int:
        return self.max_upload_bytes if body is BodyKind.UPLOAD else self.max_json_bytes

    def timeout_for(self, body: BodyKind) -> float:
        return self.upload_timeout_seconds if body is BodyKind.UPLOAD else self.timeout_seconds


def declared_length(request: IncomingRequest) -> int | None:
    value = request.header("content-length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise MalformedLength(value)
    return int(value)


async def limited(body: AsyncIterable[bytes], limit_bytes: int) -> AsyncIterator[bytes]:
    """The body passed on chunk by chunk, aborted as soon as it grows past the limit."""
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > limit_bytes:
            raise BodyTooLarge(limit_bytes)
        yield chunk


class Forwarder:
    def __init__(self, backends: Backends, policy: ForwardingPolicy) -> None:
        self.backends = backends
        self.policy = policy

    async def forward(self, match: RouteMatch, request: IncomingRequest) -> BackendReply:
        """Open the backend's answer; BodyTooLarge or BackendUnavailable if there is none."""
        route = match.route
        limit = self.policy.limit_for(route.body)
        length = declared_length(request)
        if length is not None and length > limit:
            raise BodyTooLarge(limit)
        chunked = request.header("transfer-encoding") is not None
        body = limited(request.body, limit) if chunked or (length or 0) > 0 else None
        headers = forwarded_request_headers(
            request.headers,
            client=request.client,
            request_id=request.request_id,
            content_length=None if chunked else length,
            trace_headers=inject_trace_headers({}),
        )
        target = request.raw_path + (b"?" + request.query_string if request.query_string else b"")
        return await self.backends.open(
            route.backend,
            request.method,
            target,
            headers,
            body,
            timeout_seconds=self.policy.timeout_for(route.body),
        )
