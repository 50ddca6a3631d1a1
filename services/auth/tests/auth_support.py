"""Helpers shared by auth's tests."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from auth_fakes import SettableClock
from fastapi import FastAPI
from invoice_auth.settings import AuthSettings

SERVICE_TOKEN = "test-internal-service-token"
ENCRYPTION_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
PASSWORD = "correct horse battery"


def auth_settings(**overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "APP_ENV": "test",
        "LOG_JSON": False,
        "INTERNAL_SERVICE_TOKEN": SERVICE_TOKEN,
        "password_hash_profile": "fast",
        "settings_encryption_key": ENCRYPTION_KEY,
        "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/unused",
        "startup_timeout_seconds": 0,
        **overrides,
    }
    return AuthSettings(**values)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, behind an in-process HTTP client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
            yield client


@dataclass
class AuthClient:
    """An HTTP client of one running auth app, with shortcuts for the common steps."""

    http: httpx.AsyncClient
    clock: SettableClock

    async def register(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.http.post(
            "/auth/register", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.http.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def signed_up(self, email: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new account and the tokens of its first login."""
        user = await self.register(email)
        return user, await self.login(email)


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
