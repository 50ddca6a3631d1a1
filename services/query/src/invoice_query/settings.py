"""Configuration of the query service, from QUERY_* and the shared environment variables."""

from __future__ import annotations

from invoice_platform.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict

DEVELOPMENT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/invoice_query"


class QuerySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUERY_", env_file=None, extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 8083
    database_url: str = Field(
        default=DEVELOPMENT_DATABASE_URL,
        description="The read model's own database (postgresql+asyncpg://...)",
    )
    database_pool_size: int = Field(default=5, ge=1)
    durable: str = Field(
        default="query-projector",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Name of the durable JetStream consumer that feeds the projection",
    )
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    retry_delay_seconds: float = Field(
        default=5.0, gt=0, description="How long to wait before an event is tried again"
    )
    lag_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the projection lag gauge is measured"
    )
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    auth_jwks_url: str = Field(
        default="http://127.0.0.1:8081/.well-known/jwks.json", validation_alias="AUTH_JWKS_URL"
    )

    def insecure_defaults(self) -> list[str]:
        insecure = super().insecure_defaults()
        if self.database_url == DEVELOPMENT_DATABASE_URL:
            insecure.append("QUERY_DATABASE_URL")
        return insecure
