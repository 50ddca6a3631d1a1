"""The gateway's configuration, read from GATEWAY_* environment variables."""

from __future__ import annotations

from typing import Annotated

from invoice_platform.settings import InsecureConfiguration, ServiceSettings
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from invoice_gateway.domain.routing import Backend

KIB = 1024
MIB = 1024 * KIB


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_file=None, extra="ignore", frozen=True
    )

    port: int = 8000
    auth_url: str = "http://127.0.0.1:8081"
    ingest_url: str = "http://127.0.0.1:8082"
    query_url: str = "http://127.0.0.1:8083"
    auth_jwks_url: str | None = Field(
        default=None,
        validation_alias="AUTH_JWKS_URL",
        description="where auth publishes its signing keys; by default under GATEWAY_AUTH_URL",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated browser origins allowed to call the API; empty: none",
    )
    # An invoice file may be 20 MiB; the multipart envelope around it adds a little.
    max_upload_bytes: int = Field(default=20 * MIB + 64 * KIB, gt=0)
    max_json_bytes: int = Field(default=MIB, gt=0)
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    upload_timeout_seconds: float = Field(default=120.0, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_any_origin_in_production(self) -> GatewaySettings:
        if self.environment == "production" and "*" in self.cors_origins:
            raise InsecureConfiguration(
                "refusing to start in production with GATEWAY_CORS_ORIGINS='*': "
                "list the frontend's origins instead."
            )
        return self

    @property
    def jwks_url(self) -> str:
        return self.auth_jwks_url or f"{self.auth_url.rstrip('/')}/.well-known/jwks.json"

    def backend_urls(self) -> dict[Backend, str]:
        return {
            Backend.AUTH: self.auth_url,
            Backend.INGEST: self.ingest_url,
            Backend.QUERY: self.query_url,
        }
