"""Configuration of the auth service, read from AUTH_* environment variables."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Literal

from invoice_platform.settings import ServiceSettings
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

PasswordHashProfile = Literal["production", "fast"]

DEVELOPMENT_INTERNAL_SERVICE_TOKEN = "development-internal-service-token"  # noqa: S105
# A fixed key so that a development database stays readable across restarts; it protects nothing.
DEVELOPMENT_SETTINGS_ENCRYPTION_KEY = hashlib.sha256(
    b"invoice-backend auth development settings key"
).digest()
ENCRYPTION_KEY_BYTES = 32


def decode_encryption_key(value: str) -> bytes:
    """The raw key from its base64url text (padding optional); ValueError when unusable."""
    text = value.strip()
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("AUTH_SETTINGS_ENCRYPTION_KEY is not valid base64url") from exc
    if len(key) != ENCRYPTION_KEY_BYTES:
        raise ValueError(
            f"AUTH_SETTINGS_ENCRYPTION_KEY must decode to {ENCRYPTION_KEY_BYTES} bytes, "
            f'not {len(key)}; make one with: python -c "import base64, os; '
            'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
        )
    return key


class AuthSettings(ServiceSettings):
    """Auth's settings; each field is read from AUTH_<FIELD NAME> unless named otherwise.

    Login throttling: after AUTH_LOGIN_MAX_FAILURES failed logins for one email (registered or
    not) within AUTH_LOGIN_FAILURE_WINDOW_SECONDS of the first, further logins for that email
    get 429 "too-many-login-attempts" with Retry-After, without a password check, until the
    window ends; a successful login starts the count again. The count is kept in the database,
    so every instance shares it.

    Signing keys: `invoice-auth rotate-signing-key` makes a new key. It is published in the
    JWKS at once and signs new tokens once it is a minute old (verifiers reload the JWKS for
    an unknown key id at most every 30 s); running instances read which key signs every 30 s.
    Older keys leave the JWKS only when no unexpired token can name them, which depends on
    AUTH_ACCESS_TOKEN_TTL_SECONDS: run the command with the same value as the service.
    """

    model_config = SettingsConfigDict(
        env_prefix="AUTH_", env_file=None, extra="ignore", frozen=True
    )

    port: int = 8081
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/invoices_auth",
        description="SQLAlchemy URL of auth's own database (postgresql+asyncpg://...)",
    )
    database_pool_size: int = Field(default=5, ge=1, le=100)
    startup_timeout_seconds: float = Field(
        default=30.0, ge=0, description="How long to wait for the database when starting"
    )
    access_token_ttl_seconds: int = Field(
        default=900,
        ge=30,
        le=86_400,
        description="Lifetime of access tokens; also decides when rotated keys are retired",
    )
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60, le=365 * 86_400)
    login_max_failures: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Failed logins per email within the window before logins are refused",
    )
    login_failure_window_seconds: int = Field(
        default=900,
        ge=1,
        le=86_400,
        description="Length of the window that counts failed logins, from its first failure",
    )
    jwks_max_age_seconds: int = Field(default=300, ge=0, le=86_400)
    password_hash_profile: PasswordHashProfile = "production"  # noqa: S105 (a profile name)
    settings_encryption_key: SecretStr | None = Field(
        default=None, description="base64url of 32 random bytes; encrypts stored secrets"
    )
    default_model: str = Field(default="gpt-4o-mini", pattern=r"^[A-Za-z0-9._:/-]{1,100}$")
    internal_service_token: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_INTERNAL_SERVICE_TOKEN),
        validation_alias="INTERNAL_SERVICE_TOKEN",
    )

    @field_validator("settings_encryption_key")
    @classmethod
    def _usable_encryption_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            decode_encryption_key(value.get_secret_value())
            return value
        return None

    @property
    def encryption_key(self) -> bytes:
        """The configured key, or the development key when none is set (never in production)."""
        if self.settings_encryption_key is None:
            return DEVELOPMENT_SETTINGS_ENCRYPTION_KEY
        return decode_encryption_key(self.settings_encryption_key.get_secret_value())

    def insecure_defaults(self) -> list[str]:
        insecure = super().insecure_defaults()
        if self.settings_encryption_key is None:
            insecure.append("AUTH_SETTINGS_ENCRYPTION_KEY")
        token = self.internal_service_token.get_secret_value()
        if token in ("", DEVELOPMENT_INTERNAL_SERVICE_TOKEN):
            insecure.append("INTERNAL_SERVICE_TOKEN")
        if self.password_hash_profile == "fast":  # noqa: S105 (a profile name)
            insecure.append("AUTH_PASSWORD_HASH_PROFILE")
        return insecure
