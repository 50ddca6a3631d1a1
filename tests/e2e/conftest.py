from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from invoice_devstack.stack import Stack, StackPorts

ACK_WAIT_SECONDS = 3


def _stack_dir() -> Path:
    # Not under pytest's tmp folder: PostgreSQL runs as the postgres user and must reach it.
    path = Path(tempfile.mkdtemp(prefix="invoice-e2e-"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="package")
def stack(fake_openai: Any) -> Iterator[Stack]:
    data_dir = _stack_dir()
    stack = Stack(
        data_dir,
        ports=StackPorts.free(),
        extra_env={
            "APP_ENV": "test",
            "OPENAI_BASE_URL": fake_openai.base_url,
            "AUTH_PASSWORD_HASH_PROFILE": "fast",
            "EXTRACTOR_ACK_WAIT_SECONDS": str(ACK_WAIT_SECONDS),
            "EXTRACTOR_MAX_DELIVER": "5",
        },
    )
    try:
        stack.start(timeout=90)
        yield stack
    finally:
        stack.stop()
        if os.environ.get("KEEP_E2E_DATA"):
            print(f"e2e data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


class Frontend:
    """Talks to the gateway as a browser app would: register, log in, call with the token."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30.0)
        self.token: str | None = None
        self.refresh_token: str | None = None
        self.email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        self.password = "correct horse battery staple"

    def sign_up(self) -> Frontend:
        response = self.http.post(
            "/auth/register", json={"email": self.email, "password": self.password}
        )
        assert response.status_code == 201, response.text
        return self.log_in()

    def log_in(self) -> Frontend:
        response = self.http.post(
            "/auth/login", json={"email": self.email, "password": self.password}
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        self.refresh_token = response.json()["refresh_token"]
        return self

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, headers=self.auth, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.put(path, headers=self.auth, **kwargs)

    def upload(self, name: str, data: bytes, content_type: str) -> httpx.Response:
        return self.http.post(
            "/invoices/upload", headers=self.auth, files={"file": (name, data, content_type)}
        )

    def wait_until_settled(self, invoice_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll the detail until the invoice leaves 'processing' (bounded)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            response = self.get(f"/invoices/{invoice_id}")
            if response.status_code == 200:
                last = response.json()
                if last["status"] != "processing":
                    return dict(last)
            elif response.status_code != 404:  # 404 until the projection has the upload
                raise AssertionError(response.text)
            time.sleep(0.2)
        raise AssertionError(f"invoice {invoice_id} did not settle in {timeout} s: {last}")


@pytest.fixture
def frontend(stack: Stack) -> Iterator[Callable[[], Frontend]]:
    clients: list[Frontend] = []

    def make() -> Frontend:
        client = Frontend(stack.gateway_url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()
