"""Finding free TCP ports and waiting for servers to listen on them."""

from __future__ import annotations

import logging
import socket
import time

logger = logging.getLogger(__name__)

_POLL_INTERVAL = 0.05


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    # The port is released before the caller binds it, so another process could take it in
    # between; servers that accept a pre-bound socket should be given one instead.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Return once host:port accepts connections; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        if port_is_open(host, port):
            logger.debug("%s:%d accepts connections after %d attempts", host, port, attempts)
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"nothing accepted connections on {host}:{port} within {timeout:.1f}s "
                f"({attempts} attempts)"
            )
        time.sleep(_POLL_INTERVAL)
