"""The gateway's own error types; adapters translate driver errors into these."""

from __future__ import annotations

from invoice_gateway.domain.routing import Backend


class BackendUnavailable(Exception):
    """A backend could not give an answer."""

    def __init__(self, backend: Backend, reason: str) -> None:
        super().__init__(f"the {backend} service: {reason}")
        self.backend = backend
        self.reason = reason


class BackendUnreachable(BackendUnavailable):
    """The connection to a backend failed, or it answered with a broken message."""


class BackendTimedOut(BackendUnavailable):
    """A backend did not answer within the time allowed."""


class BackendInterrupted(BackendUnavailable):
    """A backend's answer broke off after it had started; the client's copy is incomplete."""


class BodyTooLarge(Exception):
    """A request body is, or has grown, larger than its route allows."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"request body larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class MalformedLength(Exception):
    """The Content-Length header is not a non-negative integer."""
