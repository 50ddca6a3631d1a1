"""Auth's settings: development conveniences that production refuses."""

from __future__ import annotations

import base64
import logging
import os
from typing import Any

import pytest
from auth_fakes import InMemoryAuthStore
from auth_support import auth_settings
from invoice_auth.bootstrap import start
from invoice_auth.settings import (
    DEVELOPMENT_SETTINGS_ENCRYPTION_KEY,
    AuthSettings,
)
from pydantic import ValidationError

REAL_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def production(**overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "APP_ENV": "production",
        "INTERNAL_SERVICE_TOKEN": "a-real-shared-secret-for-services",
        "settings_encryption_key": REAL_KEY,
        "password_hash_profile": "production",
        **overrides,
    }
    return AuthSettings(**values)


def test_production_starts_with_real_secrets() -> None:
    settings = production()

    assert settings.encryption_key == base64.urlsafe_b64decode(REAL_KEY)
    assert settings.insecure_defaults() == []


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"settings_encryption_key": None}, "AUTH_SETTINGS_ENCRYPTION_KEY"),
        (
            {"INTERNAL_SERVICE_TOKEN": "development-internal-service-token"},
            "INTERNAL_SERVICE_TOKEN",
        ),
        ({"password_hash_profile": "fast"}, "AUTH_PASSWORD_HASH_PROFILE"),
    ],
)
def test_production_refuses_development_defaults(override: dict[str, Any], named: str) -> None:
    # pydantic reports the settings class's refusal as a validation error.
    with pytest.raises(ValidationError, match=f"development defaults for: {named}"):
        production(**override)


def test_the_environment_configures_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_DATABASE_URL", "postgresql+asyncpg://auth@db:5432/auth")
    monkeypatch.setenv("AUTH_ACCESS_TOKEN_TTL_SECONDS", "600")
    monkeypatch.setenv("AUTH_DEFAULT_MODEL", "gpt-4.1-mini")
    monkeypatch.setenv("AUTH_PORT", "9081")
    monkeypatch.setenv("INTERNAL_SERVICE_TOKEN", "from-the-environment")

    settings = AuthSettings()

    assert settings.database_url == "postgresql+asyncpg://auth@db:5432/auth"
    assert settings.access_token_ttl_seconds == 600
    assert settings.default_model == "gpt-4.1-mini"
    assert settings.port == 9081
    assert settings.internal_service_token.get_secret_value() == "from-the-environment"


@pytest.mark.parametrize("key", ["not base64 !", base64.urlsafe_b64encode(b"short").decode()])
def test_an_unusable_encryption_key_is_refused_with_how_to_make_one(key: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_SETTINGS_ENCRYPTION_KEY"):
        auth_settings(settings_encryption_key=key)


def test_an_unpadded_encryption_key_is_accepted() -> None:
    settings = auth_settings(settings_encryption_key=REAL_KEY.rstrip("="))

    assert settings.encryption_key == base64.urlsafe_b64decode(REAL_KEY)


async def test_without_an_encryption_key_development_warns_and_uses_a_fixed_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = auth_settings(settings_encryption_key=None)

    with caplog.at_level(logging.WARNING, logger="invoice_auth"):
        await start(settings, InMemoryAuthStore())

    assert settings.encryption_key == DEVELOPMENT_SETTINGS_ENCRYPTION_KEY
    assert any("AUTH_SETTINGS_ENCRYPTION_KEY" in r.getMessage() for r in caplog.records)


async def test_a_second_start_reuses_the_stored_signing_key() -> None:
    store = InMemoryAuthStore()

    first = await start(auth_settings(), store)
    second = await start(auth_settings(), store)

    first_key = await first.service.signing_key.get()
    assert first_key.kid == (await second.service.signing_key.get()).kid
    assert len(store.state.signing_keys) == 1
