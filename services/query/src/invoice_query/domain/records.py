"""What the read model keeps per invoice, and what a listing shows of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

InvoiceStatus = Literal["processing", "extracted", "failed"]
INVOICE_STATUSES: tuple[InvoiceStatus, ...] = ("processing", "extracted", "failed")


@dataclass(frozen=True)
class InvoiceRecord:
    """One row of the read model.

    Each group of columns remembers the stream sequence of the event that last set it, so
    that applying the same events in any order gives the same record (see projection.py).
    """

    invoice_id: uuid.UUID
    user_id: uuid.UUID
    status: InvoiceStatus
    updated_at: datetime
    last_event_sequence: int
    file_name: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    object_key: str | None = None
    uploaded_at: datetime | None = None
    upload_sequence: int | None = None
    vendor_name: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    total: Decimal | None = None
    currency: str | None = None
    extraction: dict[str, Any] | None = None
    extraction_sequence: int | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    failure_attempts: int | None = None
    failure_sequence: int | None = None

    @property
    def uploaded(self) -> bool:
        """Whether the upload is known; until then the invoice is not shown to its user."""
        return self.uploaded_at is not None


@dataclass(frozen=True)
class ListedInvoice:
    """One line of a history or search page."""

    invoice_id: uuid.UUID
    file_name: str
    status: InvoiceStatus
    uploaded_at: datetime
    updated_at: datetime
    vendor_name: str | None
    invoice_number: str | None
    issue_date: date | None
    total: str | None
    currency: str | None
