from __future__ import annotations

import pytest
from ingest_support import ingest_settings
from invoice_platform.settings import InsecureConfiguration
from pydantic import ValidationError


def test_defaults_suit_the_embedded_development_setup() -> None:
    settings = ingest_settings(APP_ENV="development")

    assert settings.port == 8082
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.presigned_url_ttl_seconds == 300


def test_production_refuses_the_development_s3_credentials() -> None:
    with pytest.raises((InsecureConfiguration, ValidationError), match="S3_SECRET_KEY"):
        ingest_settings(
            APP_ENV="production",
            OBJECT_STORE="s3",
            S3_ACCESS_KEY="ingest",
            S3_SECRET_KEY="minioadmin",
        )


def test_production_accepts_real_s3_credentials() -> None:
    settings = ingest_settings(
        APP_ENV="production",
        OBJECT_STORE="s3",
        S3_ACCESS_KEY="ingest",
        S3_SECRET_KEY="s3cr3t-value",
    )

    assert settings.insecure_defaults() == []
