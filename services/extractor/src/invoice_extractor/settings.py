"""Configuration of the extractor, read from EXTRACTOR_* and the shared environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from invoice_platform.settings import ServiceSettings
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

# Auth accepts the same development token, so a local stack works without configuration.
DEVELOPMENT_INTERNAL_SERVICE_TOKEN = "development-internal-service-token"  # noqa: S105


class ExtractorSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="EXTRACTOR_", env_file=None, extra="ignore", frozen=True
    )

    port: int = 8084

    durable: str = Field(
        default="extractor",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="JetStream durable consumer shared by every extractor process",
    )
    ack_wait_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)
    max_deliver: int = Field(default=8, ge=1, le=100)
    concurrency: int = Field(default=8, ge=1, le=256)
    retry_base_seconds: float = Field(default=2.0, gt=0.0)
    retry_cap_seconds: float = Field(default=60.0, gt=0.0)
    shutdown_grace_seconds: float = Field(default=20.0, ge=0.0)

    openai_timeout_seconds: float = Field(default=60.0, gt=0.0)
    # Retries happen in the provider within this budget (calls and waits), so that a delivery
    # holds its worker for bounded time; beyond it the delivery goes back to the bus.
    openai_retry_budget_seconds: float = Field(default=20.0, ge=0.0)
    openai_max_in_flight_per_key: int = Field(default=8, ge=1, le=1024)
    openai_client_cache_size: int = Field(default=64, ge=1)
    default_model: str = Field(default="gpt-4o-mini", pattern=r"^[A-Za-z0-9._:/-]{1,100}$")
    offline_timeout_seconds: float = Field(default=30.0, gt=0.0)
    offline_page_timeout_seconds: float = Field(default=20.0, gt=0.0)
    offline_max_pages: int = Field(default=20, ge=1, le=1000)
    offline_max_image_pixels: int = Field(default=40_000_000, ge=1_000_000, le=170_000_000)
    auth_timeout_seconds: float = Field(default=5.0, gt=0.0)

    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    object_store: Literal["filesystem", "s3"] = Field(
        default="filesystem", validation_alias="OBJECT_STORE"
    )
    object_store_path: Path = Field(
        default=Path("data/objects"), validation_alias="OBJECT_STORE_PATH"
    )
    s3_endpoint: str | None = Field(default=None, validation_alias="S3_ENDPOINT")
    s3_access_key: str | None = Field(default=None, validation_alias="S3_ACCESS_KEY")
    s3_secret_key: SecretStr | None = Field(default=None, validation_alias="S3_SECRET_KEY")
    s3_bucket: str = Field(default="invoices", validation_alias="S3_BUCKET")
    s3_secure: bool = Field(default=False, validation_alias="S3_SECURE")
    auth_internal_url: str = Field(
        default="http://127.0.0.1:8081", validation_alias="AUTH_INTERNAL_URL"
    )
    internal_service_token: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_INTERNAL_SERVICE_TOKEN),
        validation_alias="INTERNAL_SERVICE_TOKEN",
    )
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> ExtractorSettings:
        if self.retry_cap_seconds < self.retry_base_seconds:
            raise ValueError("EXTRACTOR_RETRY_CAP_SECONDS must be at least the base delay")
        return self

    @property
    def lease_interval_seconds(self) -> float:
        return self.ack_wait_seconds / 3

    def insecure_defaults(self) -> list[str]:
        insecure = super().insecure_defaults()
        token = self.internal_service_token.get_secret_value()
        if token in ("", DEVELOPMENT_INTERNAL_SERVICE_TOKEN):
            insecure.append("INTERNAL_SERVICE_TOKEN")
        return insecure
