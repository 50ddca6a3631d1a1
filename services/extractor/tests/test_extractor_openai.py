"""The OpenAI provider: the real openai client over HTTP against the fake OpenAI server."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from decimal import Decimal
from typing import Any

import openai
import pytest
from extractor_documents import english_invoice, png_invoice
from invoice_contracts.extraction import invoice_data_json_schema
from invoice_extractor.adapters.openai_provider import (
    MAX_PDF_BYTES,
    OpenAIClients,
    OpenAIProvider,
)
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, UserExtractionSettings
from invoice_extractor.domain.prompts import DEFAULT_PROMPT, DEFAULT_PROMPT_VERSION

pytestmark = pytest.mark.infra

ANSWER: dict[str, Any] = {
    "invoice_number": "INV-2024-0042",
    "purchase_order": None,
    "issue_date": "2024-03-05",
    "due_date": "2024-04-04",
    "service_period": None,
    "currency": "USD",
    "language": "en",
    "vendor": {
        "name": "Northwind Traders Ltd",
        "address": None,
        "tax_id": None,
        "email": None,
        "phone": None,
    },
    "customer": None,
    "subtotal": "1234.50",
    "tax_total": "92.59",
    "tax_breakdown": [],
    "discount_total": None,
    "shipping": None,
    "total": "1327.09",
    "amount_due": "1327.09",
    "amount_paid": None,
    "line_items": [],
    "payment": None,
}


def key(scenario: str) -> str:
    return f"sk-fake-{scenario}-{uuid.uuid4().hex[:12]}"


def make_provider(fake_openai, *, timeout: float = 10.0, max_retries: int = 2) -> OpenAIProvider:  # type: ignore[no-untyped-def]
    def create(api_key: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=api_key, base_url=fake_openai.base_url, timeout=timeout, max_retries=max_retries
        )

    return OpenAIProvider(
        OpenAIClients(create, capacity=4), default_model="gpt-4o-mini", timeout_seconds=timeout
    )


def pdf_document() -> Document:
    return Document(bytes=english_invoice(), content_type="application/pdf", file_name="march.pdf")


def png_document() -> Document:
    return Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")


def requests_for(fake_openai, document: Document) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(document.bytes).hexdigest()
    return [r for r in fake_openai.requests if r["document_sha256"] == digest]


async def extract_failure(provider: OpenAIProvider, api_key: str) -> ExtractionError:
    with pytest.raises(ExtractionError) as failure:
        await provider.extract(pdf_document(), UserExtractionSettings(openai_api_key=api_key))
    return failure.value


async def test_a_pdf_is_sent_as_a_file_part_with_a_strict_schema(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = pdf_document()
    fake_openai.set_answer(hashlib.sha256(document.bytes).hexdigest(), ANSWER)
    provider = make_provider(fake_openai)

    result = await provider.extract(document, UserExtractionSettings(openai_api_key=key("ok")))

    assert result.data.invoice_number == "INV-2024-0042"
    assert result.data.total == Decimal("1327.09")
    assert result.model == "gpt-4o-mini"
    assert result.prompt_version == DEFAULT_PROMPT_VERSION
    [request] = requests_for(fake_openai, document)
    assert request["model"] == "gpt-4o-mini"
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "invoice", "strict": True, "schema": invoice_data_json_schema()},
    }
    system, user = request["messages"]
    assert system == {"role": "system", "content": DEFAULT_PROMPT}
    text_part, file_part = user["content"]
    assert text_part["type"] == "text"
    assert file_part["type"] == "file"
    assert file_part["file"]["filename"] == "march.pdf"
    prefix = "data:application/pdf;base64,"
    assert file_part["file"]["file_data"].startswith(prefix)
    assert base64.b64decode(file_part["file"]["file_data"][len(prefix) :]) == document.bytes


async def test_usage_and_cost_are_taken_from_the_answer(fake_openai) -> None:  # type: ignore[no-untyped-def]
    provider = make_provider(fake_openai)

    result = await provider.extract(
        pdf_document(), UserExtractionSettings(openai_api_key=key("ok"))
    )

    assert result.usage.input_tokens > 1000 and result.usage.output_tokens > 0
    expected = (
        result.usage.input_tokens * Decimal("0.15") + result.usage.output_tokens * Decimal("0.60")
    ) / Decimal(1_000_000)
    assert result.cost_usd == expected


async def test_a_png_is_sent_as_a_high_detail_image_part(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = png_document()
    provider = make_provider(fake_openai)

    result = await provider.extract(document, UserExtractionSettings(openai_api_key=key("ok")))

    assert result.data.invoice_number == fake_openai.default_answer["invoice_number"]
    [request] = requests_for(fake_openai, document)
    assert request["response_format"]["json_schema"]["strict"] is True
    image_part = request["messages"][1]["content"][1]
    assert image_part["type"] == "image_url"
    assert image_part["image_url"]["detail"] == "high"
    assert image_part["image_url"]["url"] == (
        "data:image/png;base64," + base64.b64encode(document.bytes).decode()
    )


async def test_the_users_prompt_and_model_are_used(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = pdf_document()
    provider = make_provider(fake_openai)
    settings = UserExtractionSettings(
        openai_api_key=key("ok"), system_prompt="Read the invoice.", model="gpt-4.1-mini"
    )

    result = await provider.extract(document, settings)

    [request] = requests_for(fake_openai, document)
    assert request["model"] == "gpt-4.1-mini"
    assert request["messages"][0]["content"] == "Read the invoice."
    assert result.prompt_version is not None and result.prompt_version.startswith("custom-")


async def test_an_invalid_key_fails_permanently_without_echoing_it(fake_openai) -> None:  # type: ignore[no-untyped-def]
    api_key = key("invalid")

    error = await extract_failure(make_provider(fake_openai), api_key)

    assert error.error_code == "invalid_api_key"
    assert not error.transient
    assert error.reason == "Your OpenAI API key was rejected: update it in Settings."
    assert api_key[-4:] not in str(error)


async def test_an_exhausted_quota_fails_permanently(fake_openai) -> None:  # type: ignore[no-untyped-def]
    error = await extract_failure(make_provider(fake_openai, max_retries=0), key("quota"))

    assert error.error_code == "quota_exhausted"
    assert not error.transient


async def test_a_rate_limit_is_waited_out_by_the_clients_retry(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = pdf_document()
    provider = make_provider(fake_openai)
    started = time.monotonic()

    result = await provider.extract(
        document, UserExtractionSettings(openai_api_key=key("ratelimit"))
    )

    assert result.data.invoice_number is not None
    assert len(requests_for(fake_openai, document)) == 2
    # The fake answers Retry-After: 1, which the client honours instead of its own backoff.
    assert time.monotonic() - started >= 0.9


async def test_a_persistent_rate_limit_is_transient(fake_openai) -> None:  # type: ignore[no-untyped-def]
    error = await extract_failure(make_provider(fake_openai, max_retries=0), key("ratelimit"))

    assert error.error_code == "openai_rate_limited"
    assert error.transient


async def test_a_single_server_error_is_retried_by_the_client(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = pdf_document()

    result = await make_provider(fake_openai).extract(
        document, UserExtractionSettings(openai_api_key=key("flaky"))
    )

    assert result.data.total is not None
    assert len(requests_for(fake_openai, document)) == 2


async def test_a_persistent_server_error_is_transient(fake_openai) -> None:  # type: ignore[no-untyped-def]
    error = await extract_failure(make_provider(fake_openai, max_retries=0), key("error"))

    assert error.error_code == "openai_unavailable"
    assert error.transient


async def test_a_slow_answer_times_out_as_transient(fake_openai) -> None:  # type: ignore[no-untyped-def]
    provider = make_provider(fake_openai, timeout=0.3, max_retries=0)

    error = await extract_failure(provider, key("slow"))

    assert error.error_code == "openai_timeout"
    assert error.transient


async def test_an_unreachable_openai_is_transient(unused_tcp_port: int) -> None:
    def create(api_key: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=api_key, base_url=f"http://127.0.0.1:{unused_tcp_port}/v1", max_retries=0
        )

    provider = OpenAIProvider(OpenAIClients(create), default_model="gpt-4o-mini", timeout_seconds=5)

    error = await extract_failure(provider, key("ok"))

    assert error.error_code == "openai_unreachable"
    assert error.transient


async def test_malformed_output_fails_permanently(fake_openai) -> None:  # type: ignore[no-untyped-def]
    error = await extract_failure(make_provider(fake_openai), key("malformed"))

    assert error.error_code == "invalid_output"
    assert not error.transient


async def test_a_refusal_fails_permanently(fake_openai) -> None:  # type: ignore[no-untyped-def]
    error = await extract_failure(make_provider(fake_openai), key("refusal"))

    assert error.error_code == "refused"
    assert not error.transient


async def test_output_off_the_schema_fails_permanently(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = pdf_document()
    fake_openai.set_answer(hashlib.sha256(document.bytes).hexdigest(), {"total": 12.5})

    with pytest.raises(ExtractionError) as failure:
        await make_provider(fake_openai).extract(
            document, UserExtractionSettings(openai_api_key=key("ok"))
        )

    assert failure.value.error_code == "invalid_output"


async def test_a_file_beyond_openais_limit_is_not_sent(fake_openai) -> None:  # type: ignore[no-untyped-def]
    document = Document(
        bytes=b"%PDF" + bytes(MAX_PDF_BYTES), content_type="application/pdf", file_name="big.pdf"
    )

    with pytest.raises(ExtractionError) as failure:
        await make_provider(fake_openai).extract(
            document, UserExtractionSettings(openai_api_key=key("ok"))
        )

    assert failure.value.error_code == "file_too_large"
    assert not failure.value.transient
    assert requests_for(fake_openai, document) == []


async def test_one_client_serves_every_extraction_of_a_key(fake_openai) -> None:  # type: ignore[no-untyped-def]
    provider = make_provider(fake_openai)
    api_key = key("ok")

    for _ in range(3):
        await provider.extract(pdf_document(), UserExtractionSettings(openai_api_key=api_key))

    assert len(provider.clients) == 1
    await provider.clients.close()
