"""Configuration of the ingest service, from environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from invoice_platform.settings import ServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

MiB = 1024 * 1024
DEVELOPMENT_S3_CREDENTIAL = "minioadmin"


class IngestSettings(ServiceSettings):
    """INGEST_* settings of this service, plus the shared variables it reads."""

    model_config = SettingsConfigDict(env_prefix="INGEST_")

    port: int = 8082
    max_upload_bytes: int = Field(default=20 * MiB, gt=0)
    presigned_url_ttl_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)

    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    auth_jwks_url: str = Field(
        default="http://127.0.0.1:8081/.well-known/jwks.json", validation_alias="AUTH_JWKS_URL"
    )
    object_store: Literal["filesystem", "s3"] = Field(
        default="filesystem", validation_alias="OBJECT_STORE"
    )
    object_store_path: Path = Field(
        default=Path("data/objects"), validation_alias="OBJECT_STORE_PATH"
    )
    s3_endpoint: str | None = Field(default=None, validation_alias="S3_ENDPOINT")
    s3_access_key: str = Field(default=DEVELOPMENT_S3_CREDENTIAL, validation_alias="S3_ACCESS_KEY")
    s3_secret_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_S3_CREDENTIAL), validation_alias="S3_SECRET_KEY"
    )
    s3_bucket: str = Field(default="invoices", validation_alias="S3_BUCKET")
    s3_secure: bool = Field(default=False, validation_alias="S3_SECURE")

    def insecure_defaults(self) -> list[str]:
        insecure = super().insecure_defaults()
        if self.object_store == "s3":
            if self.s3_access_key == DEVELOPMENT_S3_CREDENTIAL:
                insecure.append("S3_ACCESS_KEY")
            if self.s3_secret_key.get_secret_value() == DEVELOPMENT_S3_CREDENTIAL:
                insecure.append("S3_SECRET_KEY")
        return insecure
