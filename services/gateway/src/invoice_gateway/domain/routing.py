"""The routing table: which backend answers which method and path, and who may call it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Backend(StrEnum):
    AUTH = "auth"
    INGEST = "ingest"
    QUERY = "query"


class BodyKind(StrEnum):
    """Which size limit a request body is held to."""

    JSON = "json"
    UPLOAD = "upload"


# Invoice ids are UUIDs; anything wider (dots, percent-decoded slashes) is refused here so that
# a crafted id can never make a backend resolve a different path than the one we matched.
_PARAMETER_VALUE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PARAMETER = re.compile(r"\{([a-z_]+)\}")
INTERNAL_PREFIX = "/internal/"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    backend: Backend
    public: bool = False
    body: BodyKind = BodyKind.JSON
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"route path must start with '/': {self.path!r}")
        object.__setattr__(self, "segments", tuple(self.path[1:].split("/")))

    def parameters_of(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters if the request path fits this route's pattern, else None."""
        if len(segments) != len(self.segments):
            return None
        parameters: dict[str, str] = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            name = _PARAMETER.fullmatch(pattern)
            if name is None:
                if pattern != value:
                    return None
            elif _PARAMETER_VALUE.fullmatch(value):
                parameters[name.group(1)] = value
            else:
                return None
        return parameters

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Orders literal segments before parameters: /invoices/search beats /invoices/{id}."""
        return tuple(_PARAMETER.fullmatch(segment) is not None for segment in self.segments)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    parameters: dict[str, str]


class NoSuchRoute(Exception):
    """No route has this path."""


class MethodNotAllowed(Exception):
    """The path is routed, but not for this method."""

    def __init__(self, path: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{path} allows {', '.join(allowed)}")
        self.allowed = allowed


class RoutingTable:
    def __init__(self, routes: list[Route]) -> None:
        for route in routes:
            if route.path.startswith(INTERNAL_PREFIX):
                # Service-to-service endpoints trust a shared secret, not a user's token.
                raise ValueError(f"internal endpoints are never routed: {route.path}")
        self.routes = tuple(routes)

    def match(self, method: str, path: str) -> RouteMatch:
        if not path.startswith("/") or path.startswith(INTERNAL_PREFIX):
            raise NoSuchRoute(path)
        segments = path[1:].split("/")
        candidates = [
            (route, parameters)
            for route in self.routes
            if (parameters := route.parameters_of(segments)) is not None
        ]
        if not candidates:
            raise NoSuchRoute(path)
        best = min(route.specificity for route, _ in candidates)
        same_pattern = [(r, p) for r, p in candidates if r.specificity == best]
        for route, parameters in same_pattern:
            if route.method == method:
                return RouteMatch(route, parameters)
        raise MethodNotAllowed(path, tuple(sorted({route.method for route, _ in same_pattern})))

    def methods(self) -> list[str]:
        return sorted({route.method for route in self.routes})


GATEWAY_ROUTES = RoutingTable(
    [
        Route("POST", "/auth/register", Backend.AUTH, public=True),
        Route("POST", "/auth/login", Backend.AUTH, public=True),
        Route("POST", "/auth/refresh", Backend.AUTH, public=True),
        Route("POST", "/auth/logout", Backend.AUTH, public=True),
        Route("GET", "/.well-known/jwks.json", Backend.AUTH, public=True),
        Route("GET", "/settings", Backend.AUTH),
        Route("PUT", "/settings", Backend.AUTH),
        Route("POST", "/invoices/upload", Backend.INGEST, body=BodyKind.UPLOAD),
        Route("GET", "/invoices/{invoice_id}/file", Backend.INGEST),
        Route("GET", "/invoices/{invoice_id}/file-url", Backend.INGEST),
        Route("GET", "/invoices", Backend.QUERY),
        Route("GET", "/invoices/search", Backend.QUERY),
        Route("GET", "/invoices/{invoice_id}", Backend.QUERY),
        Route("GET", "/schemas/invoice-data", Backend.QUERY, public=True),
    ]
)
