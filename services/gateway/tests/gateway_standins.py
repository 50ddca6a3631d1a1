"""Stand-ins for the backends and a signing key, so the gateway is tested over real HTTP.

Each stand-in is a small FastAPI app served by uvicorn on a free port in a background thread. It
records what it received, so a test can check what the gateway passed on, and it declares the
public API's paths so that its /openapi.json has something to merge.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from invoice_devstack.tokens import AccessTokenIssuer
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

CHUNK = 64 * 1024
# The gateways under test: small limits keep the tests fast, one origin is allowed.
ALLOWED_ORIGIN = "http://app.example"
MAX_UPLOAD_BYTES = 6 * 1024 * 1024
MAX_JSON_BYTES = 64 * 1024
HOLD_LIMIT_SECONDS = 10.0


def file_bytes(size: int) -> bytes:
    """The deterministic content the ingest stand-in serves as an invoice file."""
    pattern = hashlib.sha256(b"invoice file").digest() * (CHUNK // 32)
    return (pattern * (size // len(pattern) + 1))[:size]


async def eventually(check: Callable[[], Any], within: float = 5.0) -> Any:
    """Poll until check() returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        outcome = check()
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)


class SigningKey(AccessTokenIssuer):
    """A key like auth's; the gateway only checks tokens, so any user will do for a token."""

    def token(
        self, user_id: uuid.UUID | None = None, *, expires_in: int = 300, **claims: Any
    ) -> str:
        return super().token(user_id or uuid.uuid4(), expires_in=expires_in, **claims)


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def header_names(self) -> set[str]:
        return {key for key, _ in self.headers}


@dataclass
class Recorder:
    """What one stand-in backend received; read from the test thread."""

    received: list[Received] = field(default_factory=list)
    upload_progress: dict[str, int] = field(default_factory=dict)
    aborted_uploads: list[str] = field(default_factory=list)
    releases: dict[str, threading.Event] = field(default_factory=dict)

    def find(self, request_id: str) -> Received | None:
        return next((r for r in self.received if r.header("x-request-id") == request_id), None)

    def release(self, request_id: str) -> threading.Event:
        """The signal that lets a held download of this request go on."""
        return self.releases.setdefault(request_id, threading.Event())


class Echo(BaseModel):
    backend: str
    method: str
    path: str
    query: str
    size: int
    sha256: str


async def _record(name: str, recorder: Recorder, request: Request, body: bytes) -> Echo:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    query = request.scope["query_string"].decode("latin-1")
    recorder.received.append(Received(request.method, request.url.path, query, headers, body))
    return Echo(
        backend=name,
        method=request.method,
        path=request.url.path,
        query=query,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
    )


def _echo_app(
    name: str, recorder: Recorder
) -> tuple[FastAPI, Callable[[Request], Awaitable[Echo]]]:
    app = FastAPI(title=f"{name} stand-in")

    async def echo(request: Request) -> Echo:
        delay = float(request.query_params.get("delay", "0"))
        if delay:
            await asyncio.sleep(delay)
        return await _record(name, recorder, request, await request.body())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app, echo


def _declare(app: FastAPI, method: str, path: str, endpoint: Callable[..., Any]) -> None:
    operation = f"{method.lower()}_{path.strip('/').replace('/', '_')}"
    app.add_api_route(path, endpoint, methods=[method], response_model=Echo, operation_id=operation)


def auth_app(recorder: Recorder, jwks: Callable[[], dict[str, Any]]) -> FastAPI:
    app, echo = _echo_app("auth", recorder)
    for path in ("/auth/register", "/auth/login", "/auth/refresh", "/auth/logout"):
        _declare(app, "POST", path, echo)
    _declare(app, "GET", "/settings", echo)
    _declare(app, "PUT", "/settings", echo)
    _declare(app, "GET", "/internal/users/{user_id}/extraction-settings", echo)

    @app.get("/.well-known/jwks.json")
    async def signing_keys() -> dict[str, Any]:
        return jwks()

    return app


def ingest_app(recorder: Recorder) -> FastAPI:
    app, echo = _echo_app("ingest", recorder)
    _declare(app, "GET", "/invoices/{invoice_id}/file-url", echo)

    @app.post("/invoices/upload", status_code=202, response_model=Echo)
    async def upload(request: Request) -> Any:
        request_id = request.headers.get("x-request-id", "")
        body = bytearray()
        try:
            async for chunk in request.stream():
                body.extend(chunk)
                recorder.upload_progress[request_id] = len(body)
        except ClientDisconnect:
            recorder.aborted_uploads.append(request_id)
            return Response(status_code=400)
        return await _record("ingest", recorder, request, bytes(body))

    @app.get("/invoices/{invoice_id}/file")
    async def download(
        request: Request, invoice_id: str, size: int, hold: bool = False
    ) -> StreamingResponse:
        await _record("ingest", recorder, request, b"")
        content = file_bytes(size)
        request_id = request.headers.get("x-request-id", "")

        async def chunks():
            yield content[:CHUNK]
            if hold:
                # Wait for the test to confirm the first chunk reached it through the gateway.
                await asyncio.to_thread(recorder.release(request_id).wait, HOLD_LIMIT_SECONDS)
            for start in range(CHUNK, size, CHUNK):
                yield content[start : start + CHUNK]

        return StreamingResponse(
            chunks(),
            media_type="application/pdf",
            headers={
                "content-length": str(size),
                "content-disposition": f'attachment; filename="{invoice_id}.pdf"',
            },
        )

    return app


def query_app(recorder: Recorder) -> FastAPI:
    app, echo = _echo_app("query", recorder)
    for path in ("/invoices", "/invoices/search", "/invoices/{invoice_id}"):
        _declare(app, "GET", path, echo)
    return app
