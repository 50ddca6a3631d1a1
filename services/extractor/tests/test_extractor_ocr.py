"""Real OCR runs: an invoice drawn with Pillow, as a PNG and as a PDF without a text layer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from extractor_documents import image_only_pdf, ocr_invoice_image, png_bytes
from invoice_extractor.adapters.ocr import shared_recognizer
from invoice_extractor.adapters.offline_provider import OCR_MODEL, OfflineProvider
from invoice_extractor.domain.model import Document, UserExtractionSettings

NO_KEY = UserExtractionSettings()


@pytest.fixture(scope="module")
def provider():  # type: ignore[no-untyped-def]
    # Generous limits: the first OCR also loads the engine, and CI machines are shared.
    offline = OfflineProvider(timeout_seconds=120.0, page_timeout_seconds=90.0, max_threads=2)
    yield offline
    offline.close()


async def test_a_png_invoice_is_read_by_ocr(provider: OfflineProvider) -> None:
    document = Document(png_bytes(ocr_invoice_image()), "image/png", "scan.png")

    result = await provider.extract(document, NO_KEY)

    data = result.data
    assert result.model == OCR_MODEL
    assert data.invoice_number == "HL-5521"
    assert (data.issue_date, data.due_date) == (date(2024, 5, 12), date(2024, 6, 11))
    assert data.vendor is not None and data.vendor.name == "Harbour Lights Ltd"
    assert (data.subtotal, data.tax_total, data.total) == (
        Decimal("115.50"),
        Decimal("23.10"),
        Decimal("138.60"),
    )
    assert data.currency == "EUR"
    assert [(item.description, item.quantity, item.amount) for item in data.line_items] == [
        ("Lantern repair", 2, Decimal("90.00")),
        ("Brass polish", 3, Decimal("25.50")),
    ]


async def test_a_pdf_page_without_text_layer_is_rendered_and_read_by_ocr(
    provider: OfflineProvider,
) -> None:
    document = Document(image_only_pdf(ocr_invoice_image()), "application/pdf", "scan.pdf")

    result = await provider.extract(document, NO_KEY)

    assert result.model == OCR_MODEL
    assert result.data.invoice_number == "HL-5521"
    assert result.data.total == Decimal("138.60")


def test_the_process_shares_one_recognizer() -> None:
    assert shared_recognizer() is shared_recognizer()
