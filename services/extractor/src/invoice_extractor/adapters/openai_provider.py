"""Extraction with OpenAI's Chat Completions and strict structured outputs, on the user's key.

Any server that speaks the Chat Completions API works (OPENAI_BASE_URL), local models included.

The key is the user's secret: it goes into the client and nowhere else. OpenAI's error texts
can echo a masked key, so they are never copied into a reason or a log; the reasons are ours.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import functools
import json
import logging
import math
import random
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx2
import openai
from invoice_contracts.extraction import InvoiceData, TokenUsage, invoice_data_json_schema
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from invoice_extractor.adapters.key_slots import KeySlots, key_fingerprint
from invoice_extractor.domain import errors
from invoice_extractor.domain.call_retry import CallRetryPolicy, call_with_retries
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, ProviderResult, UserExtractionSettings
from invoice_extractor.domain.normalize import normalize_answer
from invoice_extractor.domain.pricing import cost_usd
from invoice_extractor.domain.prompts import system_prompt_for, user_instruction
from invoice_extractor.metrics import OPENAI_CALLS, OPENAI_COST, OPENAI_TOKENS

logger = logging.getLogger(__name__)

# OpenAI's limits for one request's inline file (PDF) and image inputs.
MAX_PDF_BYTES = 32 * 1024 * 1024
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# A Retry-After beyond this is taken as a fault of the server rather than honoured for days.
MAX_RETRY_AFTER_SECONDS = 3600.0

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
_CONTENT_FILTER_HINTS = ("content_filter", "content_policy", "content management policy")


def openai_client(
    api_key: str, *, base_url: str | None = None, timeout_seconds: float = 60.0
) -> openai.AsyncOpenAI:
    """A client for one key, against OpenAI or any server that speaks its API.

    The client's own retries are off: OpenAIProvider retries with its own, tested policy,
    which knows the delivery's budget.
    """
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url or None,
        timeout=timeout_seconds,
        max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(verify=_tls_context()),
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA certificates takes some 20 ms of the event loop; every client shares one
    # context instead of loading them again for each new key.
    return httpx2.create_ssl_context()


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

    async def warm_up(self) -> None:
        """Pay a client's one-time costs (CA certificates, the SDK's lazily built chat
        resources: some 100 ms) at startup rather than on the event loop of the first invoice.
        The throwaway client sends nothing."""
        client = self._factory("sk-warm-up")
        try:
            _ = client.chat.completions
        finally:
            await client.close()

    @asynccontextmanager
    async def lease(self, api_key: str) -> AsyncIterator[openai.AsyncOpenAI]:
        fingerprint = key_fingerprint(api_key)
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
    """Extracts on the user's key, at most `slots.per_key` calls of one key at a time.

    Each request is bounded by `timeout_seconds`; rate limits, server errors, timeouts and
    connection failures are tried again within `retry.budget_seconds`, and beyond it raised
    with the wait they still need, for the handler to hand the delivery back to the bus.
    """

    def __init__(
        self,
        clients: OpenAIClients,
        *,
        default_model: str,
        timeout_seconds: float,
        slots: KeySlots | None = None,
        retry: CallRetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        uniform: Callable[[], float] = random.random,
    ) -> None:
        self.clients = clients
        self.default_model = default_model
        self.timeout_seconds = timeout_seconds
        self.slots = KeySlots(per_key=8) if slots is None else slots
        self.retry = CallRetryPolicy() if retry is None else retry
        self.sleep = sleep
        self.clock = clock
        self.uniform = uniform

    async def extract(self, document: Document, settings: UserExtractionSettings) -> ProviderResult:
        api_key = settings.openai_api_key
        if not api_key:
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

        # The wait for a slot comes before the timeout and the retry budget start: only the
        # time OpenAI takes counts against them.
        async with self.slots.slot(api_key), self.clients.lease(api_key) as client:
            completion = await call_with_retries(
                lambda: self._complete(client, model, messages, document),
                self.retry,
                sleep=self.sleep,
                clock=self.clock,
                uniform=self.uniform,
            )

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

    async def _complete(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        messages: list[dict[str, Any]],
        document: Document,
    ) -> ChatCompletion:
        """One request, bounded as a whole: the client's timeout bounds each read only."""
        completion: ChatCompletion
        try:
            async with asyncio.timeout(self.timeout_seconds):
                completion = await client.chat.completions.create(  # type: ignore[call-overload]
                    model=model,
                    messages=messages,
                    response_format=_RESPONSE_FORMAT,
                    timeout=self.timeout_seconds,
                )
        except TimeoutError as exc:
            OPENAI_CALLS.labels("openai_timeout").inc()
            logger.info("OpenAI did not answer within %g s", self.timeout_seconds)
            raise errors.openai_timeout(self.timeout_seconds) from exc
        except openai.APIError as exc:
            error = _translated(exc, model, document, self.timeout_seconds)
            OPENAI_CALLS.labels(error.error_code).inc()
            logger.info(
                "OpenAI call failed: %s (status %s, code %s) -> %s",
                type(exc).__name__,
                getattr(exc, "status_code", None),
                exc.code,
                error.error_code,
            )
            raise error from exc
        OPENAI_CALLS.labels("ok").inc()
        return completion


def _size_limit(document: Document) -> int:
    return MAX_PDF_BYTES if document.content_type == "application/pdf" else MAX_IMAGE_BYTES


def _check_size(document: Document) -> None:
    if document.size > _size_limit(document):
        raise errors.file_too_large(_size_limit(document))


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
        # Decimals, not floats: a number in the answer keeps the digits the model wrote.
        answer = json.loads(choice.message.content, parse_float=Decimal)
    except ValueError:
        logger.info("OpenAI's answer is not JSON")
        raise errors.invalid_output() from None
    if not isinstance(answer, dict):
        logger.info("OpenAI's answer is JSON but not an object")
        raise errors.invalid_output()
    # Strict structured outputs already hold OpenAI to the schema; OpenAI-compatible servers
    # (local models) may not, and write "1.234,50" or 05.03.2024 where the schema wants
    # 1234.50 and 2024-03-05.
    normalized = normalize_answer(answer)
    if not normalized:
        logger.info("OpenAI's answer holds none of the invoice's fields")
        raise errors.invalid_output()
    try:
        return InvoiceData.model_validate(normalized)
    except ValidationError as exc:
        logger.info("OpenAI's answer is not valid invoice data: %d errors", exc.error_count())
        raise errors.invalid_output() from None


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """The wait a response asks for: retry-after-ms, else Retry-After in seconds or as a date.

    `headers` must look names up case-insensitively, as httpx's headers do.
    """
    milliseconds = _finite(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return _bounded(milliseconds / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return _bounded(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return _bounded(when.timestamp() - now())


def _finite(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _bounded(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _translated(
    exc: openai.APIError, model: str, document: Document, timeout_seconds: float
) -> ExtractionError:
    """The user-facing failure for one failed request; transient ones may be tried again."""
    if isinstance(exc, openai.APITimeoutError):
        return errors.openai_timeout(timeout_seconds)
    if isinstance(exc, openai.APIConnectionError):
        return errors.openai_unreachable()
    if isinstance(exc, openai.AuthenticationError):
        return errors.invalid_api_key()
    if isinstance(exc, openai.RateLimitError):
        if "insufficient_quota" in (exc.code, exc.type):
            return errors.quota_exhausted()
        return errors.openai_rate_limited().deferred(_asked_wait(exc))
    if isinstance(exc, openai.PermissionDeniedError):
        return errors.model_not_allowed(model)
    if isinstance(exc, openai.NotFoundError):
        return errors.model_not_found(model)
    if isinstance(exc, openai.BadRequestError):
        # Only inspected, never copied: the text is OpenAI's, the reason must be ours.
        text = f"{exc.code or ''} {exc.message}".lower()
        if any(hint in text for hint in _CONTENT_FILTER_HINTS):
            return errors.content_filtered()
        if any(hint in text for hint in _TOO_LARGE_HINTS):
            return errors.file_too_large(_size_limit(document))
        if any(hint in text for hint in _UNREADABLE_HINTS):
            return errors.unreadable_file()
        return errors.request_rejected()
    if isinstance(exc, openai.APIStatusError) and exc.status_code == 413:
        return errors.file_too_large(_size_limit(document))
    if isinstance(exc, openai.APIStatusError) and exc.status_code < 500:
        if exc.status_code in (408, 409):
            return errors.openai_unavailable().deferred(_asked_wait(exc))
        return errors.request_rejected()
    if isinstance(exc, openai.APIStatusError):
        return errors.openai_unavailable().deferred(_asked_wait(exc))
    return errors.openai_unavailable()


def _asked_wait(exc: openai.APIStatusError) -> float | None:
    return retry_after_seconds(exc.response.headers)
