"""The HTTP response documents; their JSON Schemas are what the frontend reads in /openapi.json."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from invoice_contracts.extraction import Extraction
from pydantic import BaseModel, ConfigDict, Field

from invoice_query.domain.records import InvoiceRecord, InvoiceStatus, ListedInvoice


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True)


class InvoiceSummary(_Document):
    """One invoice in a history or search page."""

    invoice_id: uuid.UUID
    file_name: str
    status: InvoiceStatus
    uploaded_at: datetime
    updated_at: datetime = Field(description="When the latest event of the invoice happened")
    vendor_name: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    total: str | None = Field(
        default=None,
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        description="Exact decimal as extracted, for example 119.00",
    )
    currency: str | None = Field(default=None, description="ISO 4217 code")

    @classmethod
    def of(cls, listed: ListedInvoice) -> InvoiceSummary:
        return cls(
            invoice_id=listed.invoice_id,
            file_name=listed.file_name,
            status=listed.status,
            uploaded_at=listed.uploaded_at,
            updated_at=listed.updated_at,
            vendor_name=listed.vendor_name,
            invoice_number=listed.invoice_number,
            issue_date=listed.issue_date,
            total=listed.total,
            currency=listed.currency,
        )


class InvoicePage(_Document):
    """A page of invoices, newest first."""

    items: list[InvoiceSummary]
    next_cursor: str | None = Field(
        default=None,
        description="Pass as 'cursor' to get the next page; null on the last page",
    )


class ExtractionFailure(_Document):
    """Why the extraction gave up."""

    code: str = Field(description="Stable, machine-readable reason, e.g. unreadable_file")
    reason: str = Field(description="What happened and what the user can do about it")
    attempts: int


class InvoiceDetail(_Document):
    """One invoice with its extraction or its failure."""

    invoice_id: uuid.UUID
    status: InvoiceStatus
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    updated_at: datetime
    extraction: Extraction | None = None
    failure: ExtractionFailure | None = None
    file_url: str = Field(description="Where the original file can be downloaded")

    @classmethod
    def of(cls, record: InvoiceRecord) -> InvoiceDetail:
        failure = None
        if record.failure_code is not None:
            failure = ExtractionFailure(
                code=record.failure_code,
                reason=record.failure_reason or "",
                attempts=record.failure_attempts or 0,
            )
        return cls(
            invoice_id=record.invoice_id,
            status=record.status,
            file_name=record.file_name or "",
            content_type=record.content_type or "",
            size_bytes=record.size_bytes or 0,
            sha256=record.sha256 or "",
            uploaded_at=record.uploaded_at or record.updated_at,
            updated_at=record.updated_at,
            extraction=(
                Extraction.model_validate(record.extraction) if record.extraction else None
            ),
            failure=failure,
            file_url=f"/invoices/{record.invoice_id}/file",
        )
