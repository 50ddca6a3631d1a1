"""OpenAI answers the fake server does not give: content filters, oversized files, truncation.

The openai client runs against httpx's own mock transport, which answers as OpenAI does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx2
import openai
import pytest
from extractor_clock import FakeClock
from extractor_documents import png_invoice
from invoice_extractor.adapters.openai_provider import (
    MAX_IMAGE_BYTES,
    OpenAIClients,
    OpenAIProvider,
)
from invoice_extractor.domain.call_retry import CallRetryPolicy
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, UserExtractionSettings

Answer = Callable[[httpx2.Request], httpx2.Response]


def completion(content: str | None, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    }


def error_body(message: str, code: str | None, type_: str = "invalid_request_error") -> Any:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def provider_answering(answer: Answer, clock: FakeClock | None = None) -> OpenAIProvider:
    def create(api_key: str) -> openai.AsyncOpenAI:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
        return openai.AsyncOpenAI(
            api_key=api_key, base_url="http://openai.test/v1", http_client=http, max_retries=0
        )

    clock = clock or FakeClock()
    return OpenAIProvider(
        OpenAIClients(create),
        default_model="gpt-4o-mini",
        timeout_seconds=5,
        retry=CallRetryPolicy(budget_seconds=20.0),
        sleep=clock.sleep,
        clock=clock,
        uniform=lambda: 1.0,
    )


async def failure_of(answer: Answer) -> ExtractionError:
    document = Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")
    with pytest.raises(ExtractionError) as failure:
        await provider_answering(answer).extract(
            document, UserExtractionSettings(openai_api_key="sk-test-answers")
        )
    return failure.value


@pytest.mark.parametrize(
    ("answer", "error_code"),
    [
        (completion(None, finish_reason="content_filter"), "content_filtered"),
        (completion('{"invoice_number": "INV', finish_reason="length"), "output_truncated"),
        (completion('["not", "an", "object"]'), "invalid_output"),
        (completion('{"summary": "An invoice from ACME."}'), "invalid_output"),
        (completion(None), "invalid_output"),
    ],
    ids=["content filter", "truncated", "not an object", "no invoice field", "no content"],
)
async def test_an_unusable_answer_fails_permanently(answer: Any, error_code: str) -> None:
    error = await failure_of(lambda request: httpx2.Response(200, json=answer))

    assert error.error_code == error_code
    assert not error.transient


@pytest.mark.parametrize(
    ("status", "body", "error_code"),
    [
        (
            400,
            error_body(
                "Your request was rejected by our safety system.", "content_policy_violation"
            ),
            "content_filtered",
        ),
        (413, error_body("Request entity too large.", None), "file_too_large"),
        (400, error_body("The image is too large.", "image_too_large"), "file_too_large"),
        (400, error_body("Invalid image.", "invalid_image"), "unreadable_file"),
        (404, error_body("The model does not exist.", "model_not_found"), "model_not_found"),
        (403, error_body("Project does not have access.", None), "model_not_allowed"),
    ],
)
async def test_a_rejected_request_fails_permanently_with_our_own_reason(
    status: int, body: Any, error_code: str
) -> None:
    error = await failure_of(lambda request: httpx2.Response(status, json=body))

    assert error.error_code == error_code
    assert not error.transient
    assert body["error"]["message"] not in error.reason


async def test_a_too_large_image_names_the_image_limit() -> None:
    error = await failure_of(lambda request: httpx2.Response(413, json=error_body("big", None)))

    assert f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB" in error.reason


async def test_retry_after_ms_is_honoured_before_the_next_request() -> None:
    sent: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content)["model"])
        if len(sent) == 1:
            return httpx2.Response(
                429,
                json=error_body("Rate limit reached.", "rate_limit_exceeded", "requests"),
                headers={"retry-after-ms": "2500"},
            )
        return httpx2.Response(200, json=completion('{"invoice_number": "A-1"}'))

    clock = FakeClock()
    document = Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")

    result = await provider_answering(answer, clock).extract(
        document, UserExtractionSettings(openai_api_key="sk-test-answers")
    )

    assert result.data.invoice_number == "A-1"
    assert clock.sleeps == [2.5]
    assert len(sent) == 2


async def test_an_answer_off_the_schema_is_normalized_before_validation() -> None:
    # As a local model on an OpenAI-compatible server may answer, ignoring the strict schema.
    content = json.dumps(
        {
            "invoice_number": " RE-2024-117 ",
            "issue_date": "05.03.2024",
            "currency": "€",
            "subtotal": "1.234,50",
            "total": 1469.06,
            "vendor": {"name": "Müller & Söhne GmbH", "iban": "not a vendor field"},
            "notes": "not an invoice field",
        }
    )
    document = Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")
    provider = provider_answering(lambda request: httpx2.Response(200, json=completion(content)))

    result = await provider.extract(
        document, UserExtractionSettings(openai_api_key="sk-test-answers")
    )

    data = result.data
    assert data.invoice_number == "RE-2024-117"
    assert data.issue_date == date(2024, 3, 5)
    assert data.currency == "EUR"
    assert data.subtotal == Decimal("1234.50")
    assert str(data.total) == "1469.06"
    assert data.vendor is not None and data.vendor.name == "Müller & Söhne GmbH"
