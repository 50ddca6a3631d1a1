"""The HTTP frame every service shares: request ids, metrics, traces, health and problems."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoice_platform.logs import bind_log_context, configure_logging
from invoice_platform.problems import install_problem_handlers, problem_response
from invoice_platform.settings import ServiceSettings
from invoice_platform.tracing import configure_tracing

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
ReadinessCheck = Callable[[], Awaitable[None]]

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts)",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _valid_request_id(value: str | None) -> bool:
    return bool(value) and len(value or "") <= 128 and (value or "").isprintable()


class RequestFrameMiddleware:
    """Gives every request an id, a server span and a metrics sample.

    Written as plain ASGI rather than BaseHTTPMiddleware so that streamed bodies (uploads
    through the gateway, file downloads) pass through without being buffered.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.tracer = trace.get_tracer(f"invoice_platform.web.{service}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and _valid_request_id(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        bind_log_context(request_id=request_id)
        method = scope["method"]
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
                route = _route_of(scope)
                HTTP_LATENCY.labels(self.service, method, route).observe(
                    time.perf_counter() - started
                )
            await send(message)

        context = propagate.extract(headers)
        with self.tracer.start_as_current_span(
            f"{method} {scope['path']}", context=context, kind=SpanKind.SERVER
        ) as span:
            span.set_attribute("http.request.method", method)
            span.set_attribute("request.id", request_id)
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = _route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status_holder["status"])
                HTTP_REQUESTS.labels(
                    self.service, method, route, str(status_holder["status"])
                ).inc()
                if scope["path"] not in ("/healthz", "/readyz", "/metrics"):
                    logger.info(
                        "%s %s -> %s in %.1f ms",
                        method,
                        scope["path"],
                        status_holder["status"],
                        (time.perf_counter() - started) * 1000,
                    )


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def create_service_app(
    service: str,
    settings: ServiceSettings,
    *,
    title: str,
    version: str = "0.1.0",
    description: str = "",
    readiness: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Any = None,
    docs: bool = True,
) -> FastAPI:
    """A FastAPI app with the shared frame; routes are added by the service."""
    configure_logging(service, settings.log_level, settings.log_json)
    configure_tracing(service, settings.otel_exporter_otlp_endpoint)
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_problem_handlers(app)
    app.add_middleware(RequestFrameMiddleware, service=service)
    checks: dict[str, ReadinessCheck] = dict(readiness or {})
    app.state.readiness_checks = checks

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        results = await run_readiness_checks(app.state.readiness_checks)
        failing = {name: error for name, error in results.items() if error}
        if failing:
            return problem_response(
                request,
                503,
                "not-ready",
                "Not ready: " + "; ".join(f"{n}: {e}" for n, e in failing.items()),
                checks={name: error or "ok" for name, error in results.items()},
            )
        return JSONResponse({"status": "ready", "checks": {name: "ok" for name in results}})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


async def run_readiness_checks(
    checks: Mapping[str, ReadinessCheck], limit_seconds: float = 2.0
) -> dict[str, str | None]:
    async def one(check: ReadinessCheck) -> str | None:
        try:
            await asyncio.wait_for(check(), limit_seconds)
        except TimeoutError:
            return f"no answer within {limit_seconds:g} s"
        except Exception as exc:  # a readiness probe reports any failure, it never raises
            return f"{type(exc).__name__}: {exc}"[:300]
        return None

    names = list(checks)
    outcomes = await asyncio.gather(*(one(checks[n]) for n in names))
    return dict(zip(names, outcomes, strict=True))
