"""Each user's extraction settings, from auth's internal endpoint.

The response holds the user's full OpenAI API key: it is kept in memory for one extraction
only, never logged, never cached and never put on the bus.
"""

from __future__ import annotations

import logging
import uuid

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from invoice_extractor.domain import errors
from invoice_extractor.domain.model import UserExtractionSettings

logger = logging.getLogger(__name__)


class _ExtractionSettingsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    openai_api_key: SecretStr | None = None
    system_prompt: str | None = None
    model: str | None = None


class AuthSettingsClient:
    def __init__(self, client: httpx.AsyncClient, base_url: str, service_token: SecretStr) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.service_token = service_token

    async def for_user(self, user_id: uuid.UUID) -> UserExtractionSettings:
        url = f"{self.base_url}/internal/users/{user_id}/extraction-settings"
        headers = {"Authorization": f"Bearer {self.service_token.get_secret_value()}"}
        try:
            response = await self.client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("auth did not answer for extraction settings: %r", exc)
            raise errors.settings_unavailable() from exc

        if response.status_code == 404:
            raise errors.account_not_found()
        if response.status_code in (401, 403):
            # A misconfigured INTERNAL_SERVICE_TOKEN is an operator's fix, so it is retried.
            logger.error("auth refused the internal service token (%d)", response.status_code)
            raise errors.settings_unavailable()
        if response.status_code != 200:
            logger.warning("auth answered %d for extraction settings", response.status_code)
            raise errors.settings_unavailable()
        try:
            body = _ExtractionSettingsBody.model_validate_json(response.content)
        except ValidationError as exc:
            # The validation error may quote the body, which holds the key: it is neither
            # logged nor chained, only counted.
            logger.error(
                "auth's extraction settings are off-contract: %d errors", exc.error_count()
            )
            raise errors.settings_unavailable() from None

        key = body.openai_api_key.get_secret_value().strip() if body.openai_api_key else ""
        return UserExtractionSettings(
            openai_api_key=key or None,
            system_prompt=body.system_prompt,
            model=body.model,
        )
