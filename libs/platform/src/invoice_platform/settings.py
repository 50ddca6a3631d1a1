"""Configuration shared by every service: one pydantic-settings class per service builds on it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


class InsecureConfiguration(ValueError):
    """A development-only default was left in place outside development."""


class ServiceSettings(BaseSettings):
    """Settings every service reads. Subclasses add their own with an env prefix."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    environment: Environment = Field(default="development", validation_alias="APP_ENV")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool | None = Field(
        default=None,
        validation_alias="LOG_JSON",
        description="JSON logs; by default JSON unless standard error is a terminal",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    def insecure_defaults(self) -> list[str]:
        """Names of settings that still hold a development-only value. Subclasses extend it."""
        return []

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> ServiceSettings:
        if self.environment == "production":
            insecure = self.insecure_defaults()
            if insecure:
                raise InsecureConfiguration(
                    "refusing to start in production with development defaults for: "
                    + ", ".join(insecure)
                    + ". Set them to real values (see README, Configuration)."
                )
        return self
