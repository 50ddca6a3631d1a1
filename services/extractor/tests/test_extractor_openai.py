"""The OpenAI provider: the real openai client over HTTP against the fake OpenAI server."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from extractor_clock import FakeClock
from extractor_documents import english_invoice, png_invoice
from invoice_contracts.extraction import invoice_data_json_schema
from invoice_devstack.fake_openai import FakeOpenAI
from invoice_extractor.adapters.openai_provider import (
    MAX_PDF_BYTES,
    OpenAIClients,
    OpenAIProvider,
    openai_client,
)
from invoice_extractor.domain.call_retry import CallRetryPolicy
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


def make_provider(
    fake_openai: FakeOpenAI,
    *,
    timeout: float = 10.0,
    budget: float = 20.0,
    clock: FakeClock | None = None,
) -> OpenAIProvider:
    """A provider whose retry waits only move `clock` (full jitter pinned to its top)."""
    clock = clock or FakeClock()
    return OpenAIProvider(
        OpenAIClients(
            lambda api_key: openai_client(
                api_key, base_url=fake_openai.base_url, timeout_seconds=timeout
            ),
            capacity=4,
        ),
        default_model="gpt-4o-mini",
        timeout_seconds=timeout,
        retry=CallRetryPolicy(budget_seconds=budget, base_seconds=0.5, cap_seconds=8.0),
        sleep=clock.sleep,
        clock=clock,
        uniform=lambda: 1.0,
    )


def pdf_document() -> Document:
    return Document(bytes=english_invoice(), content_type="application/pdf", file_name="march.pdf")


def png_document() -> Document:
    return Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")


def requests_for(fake_openai: FakeOpenAI, document: Document) -> list[dict[str, Any]]:
    digest = hashlib.sha256(document.bytes).hexdigest()
    return [r for r in fake_openai.requests if r["document_sha256"] == digest]


async def extract_failure(provider: OpenAIProvider, api_key: str) -> ExtractionError:
    with pytest.raises(ExtractionError) as failure:
        await provider.extract(pdf_document(), UserExtractionSettings(openai_api_key=api_key))
    return failure.value


async def test_a_pdf_is_sent_as_a_file_part_with_a_strict_schema(fake_openai: FakeOpenAI) -> None:
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


async def test_usage_and_cost_are_taken_from_the_answer(fake_openai: FakeOpenAI) -> None:
    provider = make_provider(fake_openai)

    result = await provider.extract(
        pdf_document(), UserExtractionSettings(openai_api_key=key("ok"))
    )

    assert result.usage.input_tokens > 1000 and result.usage.output_tokens > 0
    expected = (
        result.usage.input_tokens * Decimal("0.15") + result.usage.output_tokens * Decimal("0.60")
    ) / Decimal(1_000_000)
    assert result.cost_usd == expected


async def test_a_png_is_sent_as_a_high_detail_image_part(fake_openai: FakeOpenAI) -> None:
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


async def test_the_users_prompt_and_model_are_used(fake_openai: FakeOpenAI) -> None:
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


async def test_an_invalid_key_fails_permanently_without_echoing_it(fake_openai: FakeOpenAI) -> None:
    api_key = key("invalid")

    error = await extract_failure(make_provider(fake_openai), api_key)

    assert error.error_code == "invalid_api_key"
    assert not error.transient
    assert error.reason == "Your OpenAI API key was rejected: update it in Settings."
    assert api_key[-4:] not in str(error)


@pytest.mark.parametrize(
    ("scenario", "error_code"),
    [
        ("invalid", "invalid_api_key"),
        ("quota", "quota_exhausted"),
        ("refusal", "refused"),
        ("malformed", "invalid_output"),
    ],
)
async def test_a_permanent_failure_is_not_retried(
    fake_openai: FakeOpenAI, scenario: str, error_code: str
) -> None:
    document = pdf_document()
    clock = FakeClock()

    with pytest.raises(ExtractionError) as failure:
        await make_provider(fake_openai, clock=clock).extract(
            document, UserExtractionSettings(openai_api_key=key(scenario))
        )

    assert failure.value.error_code == error_code
    assert not failure.value.transient
    assert failure.value.reason.endswith(".")
    assert len(requests_for(fake_openai, document)) == 1
    assert clock.sleeps == []


async def test_a_rate_limit_is_waited_out_for_its_retry_after(fake_openai: FakeOpenAI) -> None:
    document = pdf_document()
    clock = FakeClock()
    provider = make_provider(fake_openai, clock=clock)
    provider.uniform = lambda: 0.0

    result = await provider.extract(
        document, UserExtractionSettings(openai_api_key=key("ratelimit"))
    )

    assert result.data.invoice_number is not None
    assert len(requests_for(fake_openai, document)) == 2
    # The fake answers Retry-After: 1, a floor under the jittered backoff of 0 here.
    assert clock.sleeps == [1.0]


async def test_a_rate_limit_beyond_the_budget_is_handed_on_with_its_retry_after(
    fake_openai: FakeOpenAI,
) -> None:
    document = pdf_document()
    clock = FakeClock()

    with pytest.raises(ExtractionError) as failure:
        await make_provider(fake_openai, budget=0.5, clock=clock).extract(
            document, UserExtractionSettings(openai_api_key=key("ratelimit"))
        )

    assert failure.value.error_code == "openai_rate_limited"
    assert failure.value.transient
    assert failure.value.retry_after_seconds == 1.0
    assert clock.sleeps == []
    assert len(requests_for(fake_openai, document)) == 1


async def test_a_single_server_error_is_retried(fake_openai: FakeOpenAI) -> None:
    document = pdf_document()
    clock = FakeClock()

    result = await make_provider(fake_openai, clock=clock).extract(
        document, UserExtractionSettings(openai_api_key=key("flaky"))
    )

    assert result.data.total is not None
    assert len(requests_for(fake_openai, document)) == 2
    assert clock.sleeps == [0.5]


async def test_a_persistent_server_error_is_transient_once_the_budget_is_spent(
    fake_openai: FakeOpenAI,
) -> None:
    document = pdf_document()
    clock = FakeClock()

    with pytest.raises(ExtractionError) as failure:
        await make_provider(fake_openai, clock=clock).extract(
            document, UserExtractionSettings(openai_api_key=key("error"))
        )

    assert failure.value.error_code == "openai_unavailable"
    assert failure.value.transient
    # 15.5 s of waits fit the 20 s budget; the next 8 s would not, so they go with the error.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert failure.value.retry_after_seconds == 8.0
    assert len(requests_for(fake_openai, document)) == 6


async def test_a_slow_answer_times_out_as_transient(fake_openai: FakeOpenAI) -> None:
    document = pdf_document()
    clock = FakeClock()
    provider = make_provider(fake_openai, timeout=0.3, budget=1.0, clock=clock)
    started = time.monotonic()

    with pytest.raises(ExtractionError) as failure:
        await provider.extract(document, UserExtractionSettings(openai_api_key=key("slow")))

    assert failure.value.error_code == "openai_timeout"
    assert failure.value.transient
    assert clock.sleeps == [0.5]
    assert failure.value.retry_after_seconds == 1.0
    assert len(requests_for(fake_openai, document)) == 2
    # Each attempt was cut at 0.3 s although the fake takes 5 s to answer.
    assert time.monotonic() - started < 3.0


async def test_an_unreachable_openai_is_transient(unused_tcp_port: int) -> None:
    provider = OpenAIProvider(
        OpenAIClients(
            lambda api_key: openai_client(
                api_key, base_url=f"http://127.0.0.1:{unused_tcp_port}/v1", timeout_seconds=5
            )
        ),
        default_model="gpt-4o-mini",
        timeout_seconds=5,
        retry=CallRetryPolicy(budget_seconds=0.0),
    )

    error = await extract_failure(provider, key("ok"))

    assert error.error_code == "openai_unreachable"
    assert error.transient


async def test_output_off_the_schema_fails_permanently(fake_openai: FakeOpenAI) -> None:
    document = pdf_document()
    fake_openai.set_answer(
        hashlib.sha256(document.bytes).hexdigest(), {"summary": "An invoice of 12.50 EUR"}
    )

    with pytest.raises(ExtractionError) as failure:
        await make_provider(fake_openai).extract(
            document, UserExtractionSettings(openai_api_key=key("ok"))
        )

    assert failure.value.error_code == "invalid_output"


async def test_a_file_beyond_openais_limit_is_not_sent(fake_openai: FakeOpenAI) -> None:
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


async def test_one_client_serves_every_extraction_of_a_key(fake_openai: FakeOpenAI) -> None:
    provider = make_provider(fake_openai)
    api_key = key("ok")

    for _ in range(3):
        await provider.extract(pdf_document(), UserExtractionSettings(openai_api_key=api_key))

    assert len(provider.clients) == 1
    await provider.clients.close()
