"""Extraction with OpenAI's Chat Completions and strict structured outputs, on the user's key.

The key is the user's secret: it goes into the client and nowhere else. OpenAI's error texts
can echo a masked key, so they are never copied into a reason or a log; the reasons are ours.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import openai
from invoice_contracts.extraction import InvoiceData, TokenUsage, invoice_data_json_schema
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from invoice_extractor.domain import errors
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, ProviderResult, UserExtractionSettings
from invoice_extractor.domain.pricing import cost_usd
from invoice_extractor.domain.prompts import system_prompt_for, user_instruction
from invoice_extractor.metrics import OPENAI_COST, OPENAI_TOKENS

logger = logging.getLogger(__name__)

# OpenAI's limits for one request's inline file (PDF) and image inputs.
MAX_PDF_BYTES = 32 * 1024 * 1024
MAX_IMAGE_BYTES = 20 * 1024 * 1024

_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "invoice", "strict": True, "schema": invoice_data_json_schema()},
}
_TOO_LARGE_HINTS = (
    "too large",
    "too long",
    "too many pages",
    "maximum context",
    "context length",
    "context_length",
    "exceeds",
    "size",
)
_UNREADABLE_HINTS = ("could not parse", "invalid pdf", "corrupt", "invalid image", "image_parse")


@dataclass
class _CachedClient:
    client: openai.AsyncOpenAI
    users: int = 0
    evicted: bool = False


class OpenAIClients:
    """One client per API key, so that each key reuses its connection pool across invoices.

    Clients are found by the key's SHA-256. Beyond `capacity` keys the least recently used
    client is dropped, and closed once no extraction is using it any more.
    """

    def __init__(self, factory: Callable[[str], openai.AsyncOpenAI], capacity: int = 64) -> None:
        self._factory = factory
        self._capacity = capacity
        self._clients: OrderedDict[str, _CachedClient] = OrderedDict()

    def __len__(self) -> int:
        return len(self._clients)

    @asynccontextmanager
    async def lease(self, api_key: str) -> AsyncIterator[openai.AsyncOpenAI]:
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
        cached = self._clients.get(fingerprint)
        if cached is None:
            cached = self._clients[fingerprint] = _CachedClient(self._factory(api_key))
            await self._evict_beyond_capacity()
        else:
            self._clients.move_to_end(fingerprint)
        cached.users += 1
        try:
            yield cached.client
        finally:
            cached.users -= 1
            if cached.evicted and cached.users == 0:
                await cached.client.close()

    async def _evict_beyond_capacity(self) -> None:
        while len(self._clients) > self._capacity:
            _, oldest = self._clients.popitem(last=False)
            oldest.evicted = True
            if oldest.users == 0:
                await oldest.client.close()

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for cached in clients:
            cached.evicted = True
            if cached.users == 0:
                await cached.client.close()


class OpenAIProvider:
    def __init__(
        self, clients: OpenAIClients, *, default_model: str, timeout_seconds: float
    ) -> None:
        self.clients = clients
        self.default_model = default_model
        self.timeout_seconds = timeout_seconds

    async def extract(self, document: Document, settings: UserExtractionSettings) -> ProviderResult:
        if not settings.openai_api_key:
            raise errors.invalid_api_key()
        _check_size(document)
        model = settings.model or self.default_model
        prompt, prompt_version = system_prompt_for(settings)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": prompt},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": user_instruction(document)},
                    _document_part(document),
                ],
            },
        ]
        try:
            async with self.clients.lease(settings.openai_api_key) as client:
                completion = await client.chat.completions.create(  # type: ignore[call-overload]
                    model=model, messages=messages, response_format=_RESPONSE_FORMAT
                )
        except openai.APIError as exc:
            error = _translated(exc, model, self.timeout_seconds)
            logger.info(
                "OpenAI call failed: %s (status %s, code %s) -> %s",
                type(exc).__name__,
                getattr(exc, "status_code", None),
                exc.code,
                error.error_code,
            )
            raise error from exc

        answered_by = completion.model or model
        usage = TokenUsage(
            input_tokens=completion.usage.prompt_tokens if completion.usage else 0,
            output_tokens=completion.usage.completion_tokens if completion.usage else 0,
        )
        cost = cost_usd(answered_by, usage)
        # Tokens are billed whether or not the answer is usable, so they are counted first.
        OPENAI_TOKENS.labels(answered_by, "input").inc(usage.input_tokens)
        OPENAI_TOKENS.labels(answered_by, "output").inc(usage.output_tokens)
        if cost is not None:
            OPENAI_COST.labels(answered_by).inc(float(cost))

        return ProviderResult(
            data=_invoice_data(completion),
            model=answered_by,
            usage=usage,
            cost_usd=cost,
            prompt_version=prompt_version,
        )


def _check_size(document: Document) -> None:
    limit = MAX_PDF_BYTES if document.content_type == "application/pdf" else MAX_IMAGE_BYTES
    if document.size > limit:
        raise errors.file_too_large(limit)


def _document_part(document: Document) -> dict[str, Any]:
    encoded = base64.b64encode(document.bytes).decode("ascii")
    if document.content_type == "application/pdf":
        return {
            "type": "file",
            "file": {
                "filename": document.file_name,
                "file_data": f"data:application/pdf;base64,{encoded}",
            },
        }
    return {
        "type": "image_url",
        "image_url": {"url": f"data:{document.content_type};base64,{encoded}", "detail": "high"},
    }


def _invoice_data(completion: ChatCompletion) -> InvoiceData:
    if not completion.choices:
        raise errors.invalid_output()
    choice = completion.choices[0]
    if choice.message.refusal:
        raise errors.refused()
    if choice.finish_reason == "length":
        raise errors.output_truncated()
    if choice.finish_reason == "content_filter":
        raise errors.content_filtered()
    if not choice.message.content:
        raise errors.invalid_output()
    try:
        return InvoiceData.model_validate_json(choice.message.content)
    except ValidationError as exc:
        logger.info("OpenAI's answer is not valid invoice data: %d errors", exc.error_count())
        raise errors.invalid_output() from None


def _translated(exc: openai.APIError, model: str, timeout_seconds: float) -> ExtractionError:
    """The user-facing failure for an OpenAI error, after the client's own retries."""
    if isinstance(exc, openai.APITimeoutError):
        return errors.openai_timeout(timeout_seconds)
    if isinstance(exc, openai.APIConnectionError):
        return errors.openai_unreachable()
    if isinstance(exc, openai.AuthenticationError):
        return errors.invalid_api_key()
    if isinstance(exc, openai.RateLimitError):
        if "insufficient_quota" in (exc.code, exc.type):
            return errors.quota_exhausted()
        return errors.openai_rate_limited()
    if isinstance(exc, openai.PermissionDeniedError):
        return errors.model_not_allowed(model)
    if isinstance(exc, openai.NotFoundError):
        return errors.model_not_found(model)
    if isinstance(exc, openai.BadRequestError):
        # Only inspected, never copied: the text is OpenAI's, the reason must be ours.
        text = f"{exc.code or ''} {exc.message}".lower()
        if any(hint in text for hint in _TOO_LARGE_HINTS):
            return errors.file_too_large(MAX_PDF_BYTES)
        if any(hint in text for hint in _UNREADABLE_HINTS):
            return errors.unreadable_file()
        return errors.request_rejected()
    if isinstance(exc, openai.APIStatusError) and exc.status_code < 500:
        if exc.status_code in (408, 409):
            return errors.openai_unavailable()
        return errors.request_rejected()
    return errors.openai_unavailable()
