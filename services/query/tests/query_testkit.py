"""Helpers for the query service's tests: events, a fake read model, bounded waits."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from invoice_contracts.events import (
    InvoiceExtracted,
    InvoiceExtractedData,
    InvoiceExtractionFailed,
    InvoiceExtractionFailedData,
    InvoiceUploaded,
    InvoiceUploadedData,
    event_source,
)
from invoice_contracts.extraction import Extraction, InvoiceData, Party
from invoice_platform.storage import invoice_object_key
from invoice_query.domain.listing import InvoiceListing
from invoice_query.domain.records import InvoiceRecord, ListedInvoice
from invoice_query.handlers.ports import DeadLetter, EventRejected, ReadModelUnavailable

T = TypeVar("T")

BASE_TIME = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def uploaded(
    invoice_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    file_name: str = "invoice.pdf",
    at: datetime = BASE_TIME,
) -> InvoiceUploaded:
    return InvoiceUploaded(
        source=event_source("ingest"),
        subject=str(invoice_id),
        time=at,
        userid=str(user_id),
        data=InvoiceUploadedData(
            invoice_id=invoice_id,
            user_id=user_id,
            object_key=invoice_object_key(user_id, invoice_id),
            file_name=file_name,
            content_type="application/pdf",
            size_bytes=1234,
            sha256=uuid.uuid4().hex + uuid.uuid4().hex,
        ),
    )


def extraction(
    *,
    vendor: str | None = "Acme Supplies GmbH",
    invoice_number: str | None = "INV-2024-001",
    total: str | None = "119.00",
    currency: str | None = "EUR",
    issue_date: date | None = date(2024, 4, 30),
) -> Extraction:
    return Extraction(
        data=InvoiceData(
            invoice_number=invoice_number,
            issue_date=issue_date,
            currency=currency,
            vendor=Party(name=vendor) if vendor else None,
            subtotal=Decimal("100.00"),
            tax_total=Decimal("19.00"),
            total=Decimal(total) if total is not None else None,
        ),
        provider="openai",
        model="gpt-4o-mini",
        prompt_version="v1",
        duration_ms=840,
        cost_usd=Decimal("0.000123"),
        confidence={"total": 0.97},
    )


def extracted(
    invoice_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    at: datetime = BASE_TIME + timedelta(seconds=30),
    **fields: Any,
) -> InvoiceExtracted:
    return InvoiceExtracted(
        source=event_source("extractor"),
        subject=str(invoice_id),
        time=at,
        userid=str(user_id),
        data=InvoiceExtractedData(
            invoice_id=invoice_id, user_id=user_id, extraction=extraction(**fields)
        ),
    )


def extraction_failed(
    invoice_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    at: datetime = BASE_TIME + timedelta(seconds=40),
    code: str = "unreadable_file",
    reason: str = "The file has no readable text; upload a clearer scan.",
    attempts: int = 3,
) -> InvoiceExtractionFailed:
    return InvoiceExtractionFailed(
        source=event_source("extractor"),
        subject=str(invoice_id),
        time=at,
        userid=str(user_id),
        data=InvoiceExtractionFailedData(
            invoice_id=invoice_id,
            user_id=user_id,
            error_code=code,
            reason=reason,
            attempts=attempts,
        ),
    )


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float = 15.0, interval: float = 0.05
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {within} s (last: {result!r})")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, and a client that talks to it in process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://query.test") as client:
            yield client


class _MemoryTransaction:
    def __init__(self, model: MemoryReadModel) -> None:
        self.model = model
        self.claimed: dict[str, tuple[int, uuid.UUID, str]] = {}
        self.saved: dict[uuid.UUID, InvoiceRecord] = {}

    async def claim(
        self, event_id: str, stream_sequence: int, invoice_id: uuid.UUID, event_type: str
    ) -> bool:
        if event_id in self.model.applied or event_id in self.claimed:
            return False
        self.claimed[event_id] = (stream_sequence, invoice_id, event_type)
        return True

    async def load(self, invoice_id: uuid.UUID) -> InvoiceRecord | None:
        return self.saved.get(invoice_id, self.model.records.get(invoice_id))

    async def save(self, record: InvoiceRecord) -> None:
        if self.model.refuse_data:
            raise EventRejected("the database refused the data (SQLSTATE 22021)")
        self.saved[record.invoice_id] = record


class MemoryReadModel:
    """A fake of the read model's ports with the same rules as the PostgreSQL one."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, InvoiceRecord] = {}
        self.applied: dict[str, tuple[int, uuid.UUID, str]] = {}
        self.dead_letters: dict[int, DeadLetter] = {}
        self.unavailable = False
        self.refuse_data = False

    def _check_available(self) -> None:
        if self.unavailable:
            raise ReadModelUnavailable("the read model's database failed: connection refused")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[_MemoryTransaction]:
        self._check_available()
        tx = _MemoryTransaction(self)
        yield tx
        self._check_available()
        self.applied.update(tx.claimed)
        self.records.update(tx.saved)

    async def record_dead_letter(self, letter: DeadLetter) -> None:
        self._check_available()
        self.dead_letters.setdefault(letter.stream_sequence, letter)

    async def list_invoices(
        self, user_id: uuid.UUID, listing: InvoiceListing
    ) -> list[ListedInvoice]:
        self._check_available()
        rows = [
            r
            for r in self.records.values()
            if r.user_id == user_id and r.uploaded_at is not None and _matches(r, listing)
        ]
        rows.sort(key=lambda r: (r.uploaded_at, r.invoice_id), reverse=True)
        return [_listed(r) for r in rows[: listing.limit + 1]]

    async def get_invoice(self, user_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceRecord | None:
        self._check_available()
        record = self.records.get(invoice_id)
        if record is None or record.user_id != user_id or record.uploaded_at is None:
            return None
        return record


def _matches(record: InvoiceRecord, listing: InvoiceListing) -> bool:
    assert record.uploaded_at is not None
    if listing.status is not None and record.status != listing.status:
        return False
    if listing.uploaded_from is not None and record.uploaded_at < listing.uploaded_from:
        return False
    if listing.uploaded_before is not None and record.uploaded_at >= listing.uploaded_before:
        return False
    if listing.after is not None and (record.uploaded_at, record.invoice_id) >= (
        listing.after.uploaded_at,
        listing.after.invoice_id,
    ):
        return False
    if listing.text is not None:
        needle = listing.text.lower()
        fields = (record.file_name, record.vendor_name, record.invoice_number)
        return any(value is not None and needle in value.lower() for value in fields)
    return True


def _listed(record: InvoiceRecord) -> ListedInvoice:
    assert record.uploaded_at is not None and record.file_name is not None
    total = (record.extraction or {}).get("data", {}).get("total")
    return ListedInvoice(
        invoice_id=record.invoice_id,
        file_name=record.file_name,
        status=record.status,
        uploaded_at=record.uploaded_at,
        updated_at=record.updated_at,
        vendor_name=record.vendor_name,
        invoice_number=record.invoice_number,
        issue_date=record.issue_date,
        total=total,
        currency=record.currency,
    )


def without(record: InvoiceRecord, *names: str) -> dict[str, Any]:
    values = dataclasses.asdict(record)
    for name in names:
        values.pop(name)
    return values


def ids(count: int) -> Iterator[uuid.UUID]:
    return (uuid.uuid4() for _ in range(count))
