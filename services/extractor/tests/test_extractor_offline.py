"""The offline provider: real PDFs drawn with reportlab, and fake page readers for its limits."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from extractor_documents import (
    english_invoice,
    german_invoice,
    password_protected_invoice,
    png_claiming_size,
    png_invoice,
    scanned_invoice,
)
from invoice_contracts.extraction import InvoiceData
from invoice_extractor.adapters.ocr import OcrUnavailable
from invoice_extractor.adapters.offline_provider import OCR_MODEL, OFFLINE_MODEL, OfflineProvider
from invoice_extractor.adapters.pages import PageImage
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.layout import PageLayout, lines_from_text
from invoice_extractor.domain.model import Document, UserExtractionSettings
from PIL import Image

NO_KEY = UserExtractionSettings()


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    offline = OfflineProvider(timeout_seconds=20.0, max_threads=2)
    yield offline
    offline.close()


def pdf(content: bytes) -> Document:
    return Document(bytes=content, content_type="application/pdf", file_name="invoice.pdf")


def text_page(text: str, source: str = "text") -> PageLayout:
    return PageLayout(tuple(lines_from_text(text)), 600.0, 800.0, source)  # type: ignore[arg-type]


@dataclass
class FakePages:
    """Pages that take as long as a test says, recording what was read and when it closed."""

    pages: list[PageLayout | PageImage]
    slow_page: int | None = None
    seconds_per_page: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    read: list[int] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def open(self, document: Document) -> FakePages:
        return self

    def read_page(self, index: int) -> PageLayout | PageImage:
        self.read.append(index)
        if index == self.slow_page:
            self.release.wait(10.0)
        elif self.seconds_per_page:
            time.sleep(self.seconds_per_page)
        return self.pages[index]

    def close(self) -> None:
        self.closed.set()


class FakeDocumentPages:
    """The DocumentPages port over FakePages (its `read` list records the calls)."""

    def __init__(self, fake: FakePages) -> None:
        self.fake = fake

    @property
    def page_count(self) -> int:
        return self.fake.page_count

    def read(self, index: int) -> PageLayout | PageImage:
        return self.fake.read_page(index)

    def close(self) -> None:
        self.fake.close()


class FakeSource:
    def __init__(self, fake: FakePages) -> None:
        self.fake = fake

    def open(self, document: Document) -> FakeDocumentPages:
        return FakeDocumentPages(self.fake)


class FakeRecognizer:
    def __init__(self, layout: PageLayout) -> None:
        self.layout = layout
        self.calls = 0

    def recognize(self, image: Image.Image) -> PageLayout:
        self.calls += 1
        return self.layout


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
    assert data.customer is not None and data.customer.name == "Contoso Inc."
    assert [(item.description, item.amount) for item in data.line_items] == [
        ("Consulting services", Decimal("1000.00")),
        ("Travel expenses", Decimal("234.50")),
    ]
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
    assert data.vendor.tax_id == "DE123456789"
    assert [(item.quantity, item.unit_price, item.amount) for item in data.line_items] == [
        (12, Decimal("95.00"), Decimal("1140.00")),
        (1, Decimal("94.50"), Decimal("94.50")),
    ]
    assert data.language == "de"


def found_fields(data: InvoiceData) -> set[str]:
    """The paths of the fields that hold a value, as confidences name them."""
    found = set()
    for name, value in data:
        if isinstance(value, list):
            if value:
                found.add(name)
        elif name == "service_period" and value is not None:
            found.add(name)
        elif hasattr(type(value), "model_fields"):
            found |= {f"{name}.{part}" for part, inner in value if inner is not None}
        elif value is not None:
            found.add(name)
    return found


async def test_each_found_field_has_a_confidence(provider: OfflineProvider) -> None:
    result = await provider.extract(pdf(german_invoice()), NO_KEY)

    assert set(result.confidence) == found_fields(result.data)
    assert all(0 < value <= 1 for value in result.confidence.values())
    # Subtotal and tax add up to the total, which confirms all three.
    assert result.confidence["total"] > result.confidence["invoice_number"]


async def test_a_pdf_without_any_text_fails_with_no_text_found(provider: OfflineProvider) -> None:
    with pytest.raises(ExtractionError) as failure:
        await provider.extract(pdf(scanned_invoice()), NO_KEY)

    assert failure.value.error_code == "no_text_found"
    assert not failure.value.transient
    assert "Settings" in failure.value.reason


async def test_an_image_without_text_fails_with_no_text_found(provider: OfflineProvider) -> None:
    image = Document(bytes=png_invoice(), content_type="image/png", file_name="scan.png")

    with pytest.raises(ExtractionError) as failure:
        await provider.extract(image, NO_KEY)

    assert failure.value.error_code == "no_text_found"


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


async def test_a_damaged_png_fails_as_unreadable(provider: OfflineProvider) -> None:
    broken = Document(bytes=png_invoice()[:40], content_type="image/png", file_name="a.png")

    with pytest.raises(ExtractionError) as failure:
        await provider.extract(broken, NO_KEY)

    assert failure.value.error_code == "unreadable_file"


async def test_an_image_beyond_the_pixel_limit_is_refused_before_decoding() -> None:
    offline = OfflineProvider(max_image_pixels=40_000_000)
    bomb = Document(png_claiming_size(9_000, 5_000), "image/png", "bomb.png")
    try:
        with pytest.raises(ExtractionError) as failure:
            await offline.extract(bomb, NO_KEY)
    finally:
        offline.close()

    assert failure.value.error_code == "image_too_large"
    assert not failure.value.transient
    assert "40 million pixels" in failure.value.reason


async def test_an_image_beyond_pillows_own_limit_is_refused_too() -> None:
    offline = OfflineProvider(max_image_pixels=10**12)
    bomb = Document(png_claiming_size(20_000, 20_000), "image/png", "bomb.png")
    try:
        with pytest.raises(ExtractionError) as failure:
            await offline.extract(bomb, NO_KEY)
    finally:
        offline.close()

    assert failure.value.error_code == "image_too_large"


async def test_reading_is_bounded_in_time() -> None:
    hasty = OfflineProvider(timeout_seconds=1e-9, max_threads=1)
    try:
        with pytest.raises(ExtractionError) as failure:
            await hasty.extract(pdf(english_invoice()), NO_KEY)
    finally:
        hasty.close()

    assert failure.value.error_code == "reading_timed_out"
    assert not failure.value.transient


async def test_a_slow_page_fails_at_the_page_limit_and_the_file_is_closed_after() -> None:
    fake = FakePages([text_page("Invoice no. A-1"), text_page("more"), text_page("end")])
    fake.slow_page = 1
    offline = OfflineProvider(
        timeout_seconds=30.0, page_timeout_seconds=0.2, pages=FakeSource(fake), max_threads=2
    )
    started = time.monotonic()
    try:
        with pytest.raises(ExtractionError) as failure:
            await offline.extract(pdf(b"%PDF"), NO_KEY)
        waited = time.monotonic() - started

        assert failure.value.error_code == "reading_timed_out"
        assert "page 2" in failure.value.reason and "0.2 seconds" in failure.value.reason
        assert waited < 5.0
        assert fake.read == [0, 1]
        # The file stays open while its page is still being read, and closes once it ends.
        assert not fake.closed.is_set()
        fake.release.set()
        assert await asyncio.to_thread(fake.closed.wait, 5.0)
    finally:
        fake.release.set()
        offline.close()


async def test_the_document_limit_bounds_the_pages_together() -> None:
    fake = FakePages([text_page(f"page {n}") for n in range(10)], seconds_per_page=0.1)
    offline = OfflineProvider(
        timeout_seconds=0.35, page_timeout_seconds=5.0, pages=FakeSource(fake), max_threads=2
    )
    try:
        with pytest.raises(ExtractionError) as failure:
            await offline.extract(pdf(b"%PDF"), NO_KEY)
    finally:
        offline.close()

    assert failure.value.error_code == "reading_timed_out"
    assert "Reading the file took longer than 0.35 seconds" in failure.value.reason
    assert len(fake.read) < 10


async def test_at_most_max_pages_are_read() -> None:
    pages = [text_page("Invoice no. MP-9\nTotal   10.00")] + [text_page("x")] * 49
    fake = FakePages(pages)  # type: ignore[arg-type]
    offline = OfflineProvider(max_pages=3, pages=FakeSource(fake))
    try:
        result = await offline.extract(pdf(b"%PDF"), NO_KEY)
    finally:
        offline.close()

    assert fake.read == [0, 1, 2]
    assert result.data.invoice_number == "MP-9"


async def test_a_page_without_a_text_layer_goes_to_ocr_and_names_the_method() -> None:
    scanned = PageImage(Image.new("RGB", (40, 40), "white"))
    fake = FakePages([text_page("Invoice no. T-1"), scanned])
    recognizer = FakeRecognizer(text_page("Total    EUR 99.00", source="ocr"))
    offline = OfflineProvider(pages=FakeSource(fake), recognizer=recognizer)
    try:
        result = await offline.extract(pdf(b"%PDF"), NO_KEY)
    finally:
        offline.close()

    assert recognizer.calls == 1
    assert result.model == OCR_MODEL
    assert (result.data.invoice_number, result.data.total) == ("T-1", Decimal("99.00"))


async def test_ocr_that_finds_nothing_fails_with_no_text_found() -> None:
    fake = FakePages([PageImage(Image.new("RGB", (40, 40), "white"))])
    empty = PageLayout((), 40.0, 40.0, "ocr")
    offline = OfflineProvider(pages=FakeSource(fake), recognizer=FakeRecognizer(empty))
    try:
        with pytest.raises(ExtractionError) as failure:
            await offline.extract(pdf(b"%PDF"), NO_KEY)
    finally:
        offline.close()

    assert failure.value.error_code == "no_text_found"


class UnavailableRecognizer:
    def recognize(self, image: Image.Image) -> PageLayout:
        raise OcrUnavailable("libGL.so.1: cannot open shared object file")


async def test_a_server_without_ocr_fails_scans_with_a_clear_reason() -> None:
    fake = FakePages([PageImage(Image.new("RGB", (40, 40), "white"))])
    offline = OfflineProvider(pages=FakeSource(fake), recognizer=UnavailableRecognizer())
    try:
        with pytest.raises(ExtractionError) as failure:
            await offline.extract(pdf(b"%PDF"), NO_KEY)
    finally:
        offline.close()

    assert failure.value.error_code == "ocr_unavailable"
    assert not failure.value.transient
