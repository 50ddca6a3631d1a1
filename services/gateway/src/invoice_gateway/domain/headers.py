"""Which headers cross the gateway, in each direction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Headers = list[tuple[str, str]]

# Hop-by-hop headers describe one connection, not the message (RFC 9110, section 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
    }
)

# A backend must learn who the caller is from the verified token alone; a client-sent identity
# header would otherwise let anyone act as another user on a backend that trusted it.
_IDENTITY_PREFIXES = (
    "x-user",
    "x-auth-user",
    "x-authenticated",
    "x-forwarded-user",
    "x-remote-user",
    "remote-user",
    "x-principal",
)

# Set by the gateway itself; a client's values are replaced, never passed on.
_GATEWAY_OWNED_REQUEST = frozenset(
    {
        "host",
        "content-length",
        "expect",
        "x-request-id",
        "traceparent",
        "tracestate",
        "x-forwarded-proto",
        "x-forwarded-host",
        "forwarded",
    }
)

# The gateway answers these itself (its own request id, date, server and CORS policy).
_GATEWAY_OWNED_RESPONSE = frozenset({"x-request-id", "date", "server"})


@dataclass(frozen=True)
class ClientConnection:
    """What the gateway knows about the caller's connection."""

    address: str | None
    scheme: str
    host: str | None


def _connection_tokens(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Headers a sender named in Connection, which are hop-by-hop too."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
        if token.strip()
    }


def _is_hop_by_hop(name: str, named_in_connection: set[str]) -> bool:
    return name in HOP_BY_HOP or name.startswith("proxy-") or name in named_in_connection


def is_identity_header(name: str) -> bool:
    return name.lower().startswith(_IDENTITY_PREFIXES)


def forwarded_request_headers(
    incoming: Headers,
    *,
    client: ClientConnection,
    request_id: str,
    content_length: int | None,
    trace_headers: dict[str, str],
) -> Headers:
    """The headers a backend receives: the client's, cleaned, plus the gateway's own."""
    named = _connection_tokens(incoming)
    forwarded_for: list[str] = []
    outgoing: Headers = []
    for raw_name, value in incoming:
        name = raw_name.lower()
        if (
            _is_hop_by_hop(name, named)
            or name in _GATEWAY_OWNED_REQUEST
            or is_identity_header(name)
        ):
            continue
        if name == "x-forwarded-for":
            forwarded_for.extend(part.strip() for part in value.split(",") if part.strip())
            continue
        outgoing.append((name, value))
    if client.address:
        forwarded_for.append(client.address)
    if forwarded_for:
        outgoing.append(("x-forwarded-for", ", ".join(forwarded_for)))
    outgoing.append(("x-forwarded-proto", client.scheme))
    if client.host:
        outgoing.append(("x-forwarded-host", client.host))
    outgoing.append(("x-request-id", request_id))
    if content_length is not None:
        outgoing.append(("content-length", str(content_length)))
    outgoing.extend((name.lower(), value) for name, value in trace_headers.items())
    return outgoing


def returned_response_headers(upstream: Headers) -> Headers:
    """The headers the client receives from a backend's answer."""
    named = _connection_tokens(upstream)
    return [
        (name, value)
        for name, value in upstream
        if not _is_hop_by_hop(name.lower(), named)
        and name.lower() not in _GATEWAY_OWNED_RESPONSE
        and not name.lower().startswith("access-control-")
    ]
