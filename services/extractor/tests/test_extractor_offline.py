"""The offline provider on real PDFs drawn with reportlab."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from extractor_documents import (
    english_invoice,
    german_invoice,
    password_protected_invoice,
    png_invoice,
    scanned_invoice,
)
from invoice_extractor.adapters.offline_provider import OFFLINE_MODEL, OfflineProvider
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, UserExtractionSettings

NO_KEY = UserExtractionSettings()


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    offline = OfflineProvider(timeout_seconds=10.0, max_threads=2)
    yield offline
    offline.close()


def pdf(content: bytes) -> Document:
    return Document(bytes=content, content_type="application/pdf", file_name="invoice.pdf")


async def test_an_english_invoice_is_read_with_exact_amounts(provider: OfflineProvider) -> None:
    result = await provider.extract(pdf(english_invoice()), NO_KEY)

    data = result.data
    assert data.invoice_number == "INV-2024-0042"
    assert data.issue_date == date(2024, 3, 5)
    assert data.due_date == date(2024, 4, 4)
    assert data.subtotal == Decimal("1234.50")
    assert data.tax_total == Decimal("92.59")
    assert data.total == Decimal("1327.09")
    assert data.currency == "USD"
    assert data.vendor is not None and data.vendor.name == "Northwind Traders Ltd"
    assert data.language == "en"
    assert result.model == OFFLINE_MODEL
    assert result.cost_usd == Decimal(0)
    assert result.usage.input_tokens == result.usage.output_tokens == 0
    assert result.prompt_version is None


async def test_a_german_invoice_is_read_with_exact_amounts(provider: OfflineProvider) -> None:
    result = await provider.extract(pdf(german_invoice()), NO_KEY)

    data = result.data
    assert data.invoice_number == "RE-2024-117"
    assert data.issue_date == date(2024, 3, 5)
    assert data.due_date == date(2024, 4, 4)
    assert data.subtotal == Decimal("1234.50")
    assert data.tax_total == Decimal("234.56")
    assert data.total == Decimal("1469.06")
    assert data.currency == "EUR"
    assert data.vendor is not None and data.vendor.name == "Müller & Söhne GmbH"
    assert data.language == "de"


async def test_each_found_field_has_a_confidence(provider: OfflineProvider) -> None:
    result = await provider.extract(pdf(german_invoice()), NO_KEY)

    assert set(result.confidence) == {
        "invoice_number",
        "issue_date",
        "due_date",
        "subtotal",
        "tax_total",
        "total",
        "currency",
        "vendor.name",
    }
    assert all(0 < value <= 1 for value in result.confidence.values())
    # Subtotal and tax add up to the total, which confirms all three.
    assert result.confidence["total"] > result.confidence["invoice_number"]


async def test_a_pdf_without_text_fails_with_no_text_layer(provider: OfflineProvider) -> None:
    with pytest.raises(ExtractionError) as failure:
        await provider.extract(pdf(scanned_invoice()), NO_KEY)

    assert failure.value.error_code == "no_text_layer"
    assert not failure.value.transient
    assert failure.value.reason == (
        "This file has no text layer and no OpenAI API key is set: add your key in Settings "
        "to extract scanned documents and images."
    )


async def test_an_image_fails_with_no_text_layer(provider: OfflineProvider) -> None:
    image = Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")

    with pytest.raises(ExtractionError) as failure:
        await provider.extract(image, NO_KEY)

    assert failure.value.error_code == "no_text_layer"


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n this is not really a pdf", b"", password_protected_invoice()],
    ids=["damaged", "empty", "password-protected"],
)
async def test_an_unopenable_pdf_fails_as_unreadable(
    provider: OfflineProvider, content: bytes
) -> None:
    with pytest.raises(ExtractionError) as failure:
        await provider.extract(pdf(content), NO_KEY)

    assert failure.value.error_code == "unreadable_file"
    assert not failure.value.transient
    assert "password-protected" in failure.value.reason


async def test_reading_is_bounded_in_time() -> None:
    hasty = OfflineProvider(timeout_seconds=1e-9, max_threads=1)
    try:
        with pytest.raises(ExtractionError) as failure:
            await hasty.extract(pdf(english_invoice()), NO_KEY)
    finally:
        hasty.close()

    assert failure.value.error_code == "reading_timed_out"
    assert not failure.value.transient
