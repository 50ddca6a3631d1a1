"""Per-user extraction settings: the user's own OpenAI key, system prompt and model."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

MIN_API_KEY_LENGTH = 8
MAX_API_KEY_LENGTH = 256
MAX_SYSTEM_PROMPT_LENGTH = 20_000
MODEL_PATTERN = re.compile(r"[A-Za-z0-9._:/-]{1,100}")
# Below this length showing the first characters as well would give away too much of the key.
SHORT_KEY_LENGTH = 16


@dataclass(frozen=True)
class StoredSettings:
    """A user's settings row; None means "use the default" (no key, default prompt/model)."""

    user_id: uuid.UUID
    openai_api_key_ciphertext: bytes | None
    openai_api_key_last4: str | None
    system_prompt: str | None
    model: str | None
    updated_at: datetime


@dataclass(frozen=True)
class SettingsChanges:
    """A partial update: only the fields named in ``changed`` are touched; None resets one."""

    changed: frozenset[str]
    openai_api_key: str | None = None
    system_prompt: str | None = None
    model: str | None = None


class SettingsRefused(Exception):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def api_key_context(user_id: uuid.UUID) -> bytes:
    """Associated data binding a sealed OpenAI key to its owner."""
    return f"openai-api-key:{user_id}".encode()


def mask_api_key(key: str) -> str:
    if len(key) < SHORT_KEY_LENGTH:
        return "..." + key[-4:]
    return key[:3] + "..." + key[-4:]


def checked_api_key(key: str) -> str:
    candidate = key.strip()
    if not MIN_API_KEY_LENGTH <= len(candidate) <= MAX_API_KEY_LENGTH:
        raise SettingsRefused(
            "openai_api_key",
            f"The OpenAI API key must be {MIN_API_KEY_LENGTH} to {MAX_API_KEY_LENGTH} characters"
            " long; copy it again from the OpenAI dashboard, or send null to remove it.",
        )
    if not all("!" <= ch <= "~" for ch in candidate):
        raise SettingsRefused(
            "openai_api_key",
            "The OpenAI API key may contain only printable ASCII characters without spaces;"
            " copy it again from the OpenAI dashboard.",
        )
    return candidate


def checked_system_prompt(prompt: str) -> str:
    if not prompt.strip():
        raise SettingsRefused(
            "system_prompt",
            "The system prompt is empty; send null to use the default prompt instead.",
        )
    if len(prompt) > MAX_SYSTEM_PROMPT_LENGTH:
        raise SettingsRefused(
            "system_prompt",
            f"The system prompt is {len(prompt)} characters long; "
            f"shorten it to at most {MAX_SYSTEM_PROMPT_LENGTH}.",
        )
    return prompt


def checked_model(model: str) -> str:
    if not MODEL_PATTERN.fullmatch(model):
        raise SettingsRefused(
            "model",
            "The model name must be 1 to 100 characters of letters, digits and . _ : / -"
            ' (for example "gpt-4o-mini"); send null to use the default model.',
        )
    return model
