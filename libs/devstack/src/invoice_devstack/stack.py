"""The whole stack on one machine: NATS, PostgreSQL, a folder as object store, five services.

Used by the `invoice-stack` command (the embedded default) and by the end-to-end tests, which
start the very same processes on free ports in a temporary folder.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from invoice_devstack.lifecycle import Managed
from invoice_devstack.nats import NatsServer
from invoice_devstack.ports import free_port
from invoice_devstack.postgres import PostgresCluster

logger = logging.getLogger(__name__)

SERVICES = ("auth", "ingest", "query", "extractor", "gateway")
AUTH_DATABASE = "invoices_auth"
QUERY_DATABASE = "invoices_query"


@dataclass
class StackPorts:
    gateway: int = 8000
    auth: int = 8081
    ingest: int = 8082
    query: int = 8083
    extractor: int = 8084
    nats: int = 14222
    postgres: int = 15432

    @classmethod
    def free(cls) -> StackPorts:
        return cls(*(free_port() for _ in range(7)))


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _stack_secrets(data_dir: Path) -> dict[str, str]:
    """Development secrets, made once and kept with the data so restarts can read old data."""
    path = data_dir / "secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    made = {
        "settings_encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "internal_service_token": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(made))
    path.chmod(0o600)
    return made


@dataclass
class Stack(Managed):
    """Starts and stops the infrastructure and the services as separate processes."""

    data_dir: Path
    ports: StackPorts = field(default_factory=StackPorts)
    extractors: int = 1
    extra_env: Mapping[str, str] = field(default_factory=dict)
    echo_logs: bool = False
    nats: NatsServer | None = None
    postgres: PostgresCluster | None = None
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        try:
            self._start_infrastructure()
            for name in SERVICES:
                if name == "extractor":
                    for index in range(self.extractors):
                        self.start_service(name, index=index)
                else:
                    self.start_service(name)
                if name == "auth":
                    # Every other service loads auth's signing keys when it starts.
                    self.wait_ready(["auth"], timeout)
            self.wait_ready(list(self.services), timeout)
        except BaseException:
            self.stop()
            raise

    def _start_infrastructure(self) -> None:
        self.nats = NatsServer(self.data_dir / "nats", port=self.ports.nats)
        self.nats.start()
        self.postgres = PostgresCluster(self.data_dir / "postgres", port=self.ports.postgres)
        self.postgres.start()
        for database in (AUTH_DATABASE, QUERY_DATABASE):
            self.postgres.create_database(database)

    def service_env(self) -> dict[str, str]:
        """The environment every service process starts with; each then gets its own port."""
        assert self.nats is not None and self.postgres is not None
        stack_secrets = _stack_secrets(self.data_dir)
        ports = self.ports
        auth_url = f"http://127.0.0.1:{ports.auth}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AUTH_"))},
            "APP_ENV": "development",
            "LOG_JSON": "false",
            "NATS_URL": self.nats.url,
            "OBJECT_STORE": "filesystem",
            "OBJECT_STORE_PATH": str(self.data_dir / "objects"),
            "AUTH_JWKS_URL": f"{auth_url}/.well-known/jwks.json",
            "AUTH_INTERNAL_URL": auth_url,
            "INTERNAL_SERVICE_TOKEN": stack_secrets["internal_service_token"],
            "AUTH_DATABASE_URL": self.postgres.url(AUTH_DATABASE),
            "AUTH_SETTINGS_ENCRYPTION_KEY": stack_secrets["settings_encryption_key"],
            "AUTH_PORT": str(ports.auth),
            "INGEST_PORT": str(ports.ingest),
            "QUERY_PORT": str(ports.query),
            "QUERY_DATABASE_URL": self.postgres.url(QUERY_DATABASE),
            "EXTRACTOR_PORT": str(ports.extractor),
            "GATEWAY_PORT": str(ports.gateway),
            "GATEWAY_AUTH_URL": auth_url,
            "GATEWAY_INGEST_URL": f"http://127.0.0.1:{ports.ingest}",
            "GATEWAY_QUERY_URL": f"http://127.0.0.1:{ports.query}",
            "PYTHONUNBUFFERED": "1",
        }
        if "OPENAI_BASE_URL" in os.environ:
            env["OPENAI_BASE_URL"] = os.environ["OPENAI_BASE_URL"]
        env.update(self.extra_env)
        return env

    def start_service(self, name: str, index: int = 0) -> ServiceProcess:
        # Further extractors share the durable consumer; only their health port differs.
        port = getattr(self.ports, name) if index == 0 else free_port()
        label = name if index == 0 else f"{name}-{index}"
        env = self.service_env()
        env[f"{name.upper()}_PORT"] = str(port)
        log_path = self.logs_dir / f"{label}.log"
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", f"invoice_{name}"],
            env=env,
            stdout=subprocess.PIPE if self.echo_logs else log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.echo_logs:
            threading.Thread(
                target=_copy_lines, args=(process.stdout, log_file, label), daemon=True
            ).start()
        else:
            log_file.close()
        service = ServiceProcess(label, port, process, log_path)
        self.services[label] = service
        logger.info("started %s (pid %s) on port %s", label, process.pid, port)
        return service

    def wait_ready(self, names: list[str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            service = self.services[name]
            last = "no answer yet"
            while True:
                if service.process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with code {service.process.returncode} while starting; "
                        f"its log is {service.log_path}:\n{_tail(service.log_path)}"
                    )
                try:
                    response = httpx.get(f"{service.url}/readyz", timeout=2.0)
                    if response.status_code == 200:
                        break
                    last = response.text[:500]
                except httpx.HTTPError as exc:
                    last = repr(exc)
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{name} was not ready within {timeout:g} s ({last}); "
                        f"its log is {service.log_path}:\n{_tail(service.log_path)}"
                    )
                time.sleep(0.2)

    def stop_service(self, name: str, *, kill: bool = False, timeout: float = 15.0) -> None:
        service = self.services.pop(name, None)
        if service is None or service.process.poll() is not None:
            return
        service.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            service.process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop within %g s; killing it", name, timeout)
            service.process.kill()
            service.process.wait()

    def stop(self) -> None:
        for name in reversed(list(self.services)):
            self.stop_service(name)
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        if self.nats is not None:
            self.nats.stop()
            self.nats = None


def _copy_lines(source: IO[bytes] | None, log_file: IO[bytes], label: str) -> None:
    if source is None:
        return
    prefix = f"{label:>11} | ".encode()
    with log_file:
        for line in iter(source.readline, b""):
            log_file.write(line)
            log_file.flush()
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def service_logs(stack: Stack) -> Iterator[tuple[str, str]]:
    for path in sorted(stack.logs_dir.glob("*.log")):
        yield path.stem, path.read_text(errors="replace")
