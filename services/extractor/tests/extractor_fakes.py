"""Hand-written fakes of the extractor's own ports, and builders of the events they carry."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from invoice_contracts.events import InvoiceUploaded, InvoiceUploadedData
from invoice_contracts.extraction import InvoiceData, TokenUsage
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, ProviderResult, UserExtractionSettings
from invoice_platform.bus import Appended, BusUnavailable, ConcurrentAppend, InvoiceEventModel
from invoice_platform.storage import invoice_object_key

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def uploaded_event(
    content: bytes = b"%PDF-1.4 fake",
    *,
    user_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
    content_type: str = "application/pdf",
    file_name: str = "invoice.pdf",
) -> InvoiceUploaded:
    user_id = user_id or uuid.uuid4()
    invoice_id = invoice_id or uuid.uuid4()
    return InvoiceUploaded(
        source="/invoice-backend/ingest",
        subject=str(invoice_id),
        userid=str(user_id),
        traceparent=TRACEPARENT,
        data=InvoiceUploadedData(
            invoice_id=invoice_id,
            user_id=user_id,
            object_key=invoice_object_key(user_id, invoice_id),
            file_name=file_name,
            content_type=content_type,  # type: ignore[arg-type]
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        ),
    )


class FakeDelivery:
    """Records how the handler settled the delivery."""

    def __init__(self, body: bytes, *, stream_sequence: int = 41, attempt: int = 1) -> None:
        self.body = body
        self.stream_sequence = stream_sequence
        self.attempt = attempt
        self.settlements: list[tuple[str, float | None]] = []
        self.progress_reports = 0

    @classmethod
    def of(cls, event: InvoiceUploaded, **kwargs: int) -> FakeDelivery:
        return cls(event.model_dump_json().encode(), **kwargs)

    @property
    def settlement(self) -> tuple[str, float | None]:
        assert len(self.settlements) == 1, f"settled {len(self.settlements)} times"
        return self.settlements[0]

    async def ack(self) -> None:
        self.settlements.append(("ack", None))

    async def nak(self, delay_seconds: float) -> None:
        self.settlements.append(("nak", delay_seconds))

    async def term(self) -> None:
        self.settlements.append(("term", None))

    async def in_progress(self) -> None:
        self.progress_reports += 1


class FakeDocuments:
    def __init__(self, documents: dict[str, Document] | None = None) -> None:
        self.documents = dict(documents or {})
        self.failures: list[ExtractionError] = []

    def add(self, event: InvoiceUploaded, content: bytes) -> None:
        self.documents[event.data.object_key] = Document(
            bytes=content, content_type=event.data.content_type, file_name=event.data.file_name
        )

    async def fetch(self, upload: InvoiceUploadedData) -> Document:
        if self.failures:
            raise self.failures.pop(0)
        return self.documents[upload.object_key]


class FakeSettings:
    def __init__(self) -> None:
        self.by_user: dict[uuid.UUID, UserExtractionSettings] = {}
        self.failures: list[ExtractionError] = []

    async def for_user(self, user_id: uuid.UUID) -> UserExtractionSettings:
        if self.failures:
            raise self.failures.pop(0)
        return self.by_user.get(user_id, UserExtractionSettings())


@dataclass
class FakeProvider:
    """Answers `result`, after raising the queued errors one per call."""

    result: ProviderResult
    errors: list[BaseException] = field(default_factory=list)
    calls: list[tuple[Document, UserExtractionSettings]] = field(default_factory=list)
    delay_seconds: float = 0.0

    async def extract(self, document: Document, settings: UserExtractionSettings) -> ProviderResult:
        self.calls.append((document, settings))
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.errors:
            raise self.errors.pop(0)
        return self.result


def provider_result(**overrides: object) -> ProviderResult:
    values: dict[str, object] = {
        "data": InvoiceData(
            invoice_number="INV-1",
            currency="EUR",
            subtotal=Decimal("100.00"),
            tax_total=Decimal("19.00"),
            total=Decimal("119.00"),
        ),
        "model": "gpt-4o-mini-2024-07-18",
        "usage": TokenUsage(input_tokens=1200, output_tokens=300),
        "cost_usd": Decimal("0.00036"),
        "confidence": {},
        "prompt_version": "2026-12-01",
    }
    values.update(overrides)
    return ProviderResult(**values)  # type: ignore[arg-type]


class FakeAppender:
    """An in-memory invoice stream with JetStream's expected-last-sequence rule per invoice."""

    def __init__(self, first_sequence: int = 1) -> None:
        self.events: list[tuple[int, InvoiceEventModel]] = []
        self.next_sequence = first_sequence
        self.unavailable = 0

    def seed(self, event: InvoiceEventModel) -> int:
        sequence = self.next_sequence
        self.events.append((sequence, event))
        self.next_sequence += 1
        return sequence

    def of_invoice(self, invoice_id: str) -> list[InvoiceEventModel]:
        return [event for _, event in self.events if event.subject == invoice_id]

    def outcomes(self, invoice_id: str) -> list[InvoiceEventModel]:
        return [e for e in self.of_invoice(invoice_id) if e.type != "invoice.uploaded"]

    async def append(
        self, event: InvoiceEventModel, *, expected_invoice_sequence: int | None = None
    ) -> Appended:
        if self.unavailable:
            self.unavailable -= 1
            raise BusUnavailable("no responders")
        last = max((s for s, e in self.events if e.subject == event.subject), default=0)
        if expected_invoice_sequence is not None and last != expected_invoice_sequence:
            raise ConcurrentAppend(f"invoice {event.subject} is at {last}")
        return Appended(stream_sequence=self.seed(event), duplicate=False)
