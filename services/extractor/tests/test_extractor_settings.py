"""The extractor's configuration: defaults, environment names, and no insecure production."""

from __future__ import annotations

import pytest
from invoice_extractor.settings import ExtractorSettings


def test_defaults_match_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ENV", "NATS_URL", "OBJECT_STORE", "AUTH_INTERNAL_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    settings = ExtractorSettings()

    assert settings.port == 8084
    assert settings.durable == "extractor"
    assert settings.ack_wait_seconds == 30
    assert settings.lease_interval_seconds == 10
    assert settings.max_deliver == 8
    assert settings.concurrency == 8
    assert settings.openai_timeout_seconds == 60
    assert settings.offline_timeout_seconds == 30
    assert settings.openai_base_url is None


def test_settings_come_from_prefixed_and_shared_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_ACK_WAIT_SECONDS", "12")
    monkeypatch.setenv("EXTRACTOR_DURABLE", "extractor-blue")
    monkeypatch.setenv("EXTRACTOR_CONCURRENCY", "3")
    monkeypatch.setenv("NATS_URL", "nats://bus:4222")
    monkeypatch.setenv("AUTH_INTERNAL_URL", "http://auth:8081")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://llm:9000/v1")
    monkeypatch.setenv("INTERNAL_SERVICE_TOKEN", "shared-secret")

    settings = ExtractorSettings()

    assert settings.lease_interval_seconds == 4
    assert settings.durable == "extractor-blue"
    assert settings.concurrency == 3
    assert settings.nats_url == "nats://bus:4222"
    assert settings.auth_internal_url == "http://auth:8081"
    assert settings.openai_base_url == "http://llm:9000/v1"
    assert settings.internal_service_token.get_secret_value() == "shared-secret"


def test_production_refuses_the_development_service_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("INTERNAL_SERVICE_TOKEN", raising=False)

    # pydantic wraps the InsecureConfiguration raised by the validator in a ValidationError.
    with pytest.raises(ValueError, match="INTERNAL_SERVICE_TOKEN"):
        ExtractorSettings()

    monkeypatch.setenv("INTERNAL_SERVICE_TOKEN", "a-real-secret")
    assert ExtractorSettings().environment == "production"


def test_offline_reading_limits_have_defaults_and_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = ExtractorSettings()
    assert defaults.offline_page_timeout_seconds == 20
    assert defaults.offline_max_pages == 20
    assert defaults.offline_max_image_pixels == 40_000_000

    monkeypatch.setenv("EXTRACTOR_OFFLINE_PAGE_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("EXTRACTOR_OFFLINE_MAX_PAGES", "3")
    monkeypatch.setenv("EXTRACTOR_OFFLINE_MAX_IMAGE_PIXELS", "25000000")

    settings = ExtractorSettings()

    assert settings.offline_page_timeout_seconds == 5
    assert settings.offline_max_pages == 3
    assert settings.offline_max_image_pixels == 25_000_000
