"""An ASGI app served by uvicorn in a background thread, for fakes and stand-ins in tests."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Literal

import uvicorn


class ThreadedAsgiServer:
    """Serves an app on a loopback port that is bound before uvicorn starts.

    Binding first and handing uvicorn the socket leaves no window in which another process
    could take the port between choosing it and listening on it.
    """

    def __init__(
        self,
        app: Any,
        name: str,
        *,
        host: str = "127.0.0.1",
        lifespan: Literal["auto", "on", "off"] = "off",
        backlog: int = 2048,
    ) -> None:
        self.app = app
        self.name = name
        self.host = host
        self.lifespan = lifespan
        self.backlog = backlog
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, timeout: float = 10.0) -> ThreadedAsgiServer:
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            # None keeps uvicorn from reconfiguring the host process's logging.
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan=self.lifespan,
            timeout_graceful_shutdown=2,
            backlog=self.backlog,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() >= deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError(f"{self.name} did not start on port {self.port}")
            time.sleep(0.01)
        self._server, self._thread, self._sock = server, thread, sock
        return self

    def stop(self, timeout: float = 10.0) -> None:
        server, thread, sock = self._server, self._thread, self._sock
        self._server = self._thread = self._sock = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if sock is not None:
            sock.close()
