"""The gateway's HTTP surface: the API description, and every routed path forwarded."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from invoice_platform.logs import bind_log_context
from invoice_platform.problems import Problem
from invoice_platform.tokens import TokenVerifier, authenticate
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from invoice_gateway.domain.errors import (
    BackendInterrupted,
    BackendTimedOut,
    BackendUnavailable,
    BodyTooLarge,
    MalformedLength,
)
from invoice_gateway.domain.headers import ClientConnection, returned_response_headers
from invoice_gateway.domain.routing import MethodNotAllowed, NoSuchRoute, RoutingTable
from invoice_gateway.handlers.api_docs import MergedApiDescription
from invoice_gateway.handlers.forwarding import BackendReply, Forwarder, IncomingRequest

logger = logging.getLogger(__name__)

# nginx's convention for "the client went away before the answer"; nobody reads it but metrics.
CLIENT_CLOSED_REQUEST = 499


@dataclass(frozen=True)
class _RouteLabel:
    """Stands in scope["route"], so request metrics and spans name the routing-table pattern."""

    path: str


def install_routes(
    app: FastAPI,
    *,
    table: RoutingTable,
    verifier: TokenVerifier,
    forwarder: Forwarder,
    api_description: MergedApiDescription,
    title: str,
) -> None:
    labels = {route.path: _RouteLabel(route.path) for route in table.routes}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        """The API of every backend behind the gateway, as one OpenAPI document."""
        return JSONResponse(await api_description.document())

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=title)

    async def forward(request: Request) -> Response:
        path, method = request.scope["path"], request.method
        try:
            match = table.match(method, path)
        except NoSuchRoute:
            raise Problem(404, "not-found", f"There is no endpoint at {path}.") from None
        except MethodNotAllowed as exc:
            allowed = ", ".join(exc.allowed)
            raise Problem(
                405,
                "method-not-allowed",
                f"{path} does not accept {method}; it accepts {allowed}.",
                headers={"Allow": allowed},
            ) from None
        request.scope["route"] = labels[match.route.path]

        if not match.route.public:
            principal = await authenticate(request, verifier)
            bind_log_context(user_id=principal.user_id)

        incoming = _incoming(request)
        try:
            reply = await forwarder.forward(match, incoming)
        except MalformedLength:
            raise Problem(400, "bad-request", "Content-Length must be a number of bytes.") from None
        except BodyTooLarge as exc:
            raise Problem(
                413,
                "payload-too-large",
                f"The request body is larger than this endpoint accepts ({exc.limit_bytes} bytes).",
                limit_bytes=exc.limit_bytes,
            ) from None
        except BackendTimedOut as exc:
            logger.warning("request %s: %s", incoming.request_id, exc)
            raise Problem(
                504,
                "upstream-timeout",
                f"The {exc.backend} service did not answer in time; try again.",
                title="Gateway Timeout",
            ) from None
        except BackendUnavailable as exc:
            logger.warning("request %s: %s", incoming.request_id, exc)
            raise Problem(
                502,
                "upstream-unavailable",
                f"The {exc.backend} service cannot be reached right now; try again shortly.",
                title="Bad Gateway",
            ) from None
        except ClientDisconnect:
            logger.info("request %s: the client went away while sending", incoming.request_id)
            return Response(status_code=CLIENT_CLOSED_REQUEST)

        response = StreamingResponse(
            _relayed(reply, incoming.request_id),
            status_code=reply.status,
            background=BackgroundTask(reply.close),
        )
        response.raw_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in returned_response_headers(reply.headers)
        ]
        return response

    # Registered last and as a plain ASGI app, which Starlette routes for every method, so that
    # the routing table alone decides between forwarding, 404 and 405.
    app.router.routes.append(Route("/{path:path}", _AnyMethod(forward), include_in_schema=False))


class _AnyMethod:
    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _relayed(reply: BackendReply, request_id: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in reply.body():
            yield chunk
    except BackendInterrupted as exc:
        # The status line is already sent: only dropping the connection tells the client.
        logger.warning("request %s: answer broke off: %s", request_id, exc)
        raise
    finally:
        # Also reached when the client goes away mid-download, where no background task runs.
        await reply.close()


def _incoming(request: Request) -> IncomingRequest:
    scope = request.scope
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
    ]
    return IncomingRequest(
        method=request.method,
        raw_path=scope.get("raw_path") or scope["path"].encode(),
        query_string=scope.get("query_string", b""),
        headers=headers,
        body=request.stream(),
        client=ClientConnection(
            address=request.client.host if request.client else None,
            scheme=scope.get("scheme", "http"),
            host=request.headers.get("host"),
        ),
        request_id=getattr(request.state, "request_id", None) or "",
    )
