"""How each invoice event changes the read model: pure functions, no database.

Delivery is at least once and, after a replay overlaps live projection, not always in stream
order. The rules are therefore written so that the result depends only on the set of events,
not on their order or on how often each one arrives:

- each event sets only its own group of columns, and only if its stream sequence is greater
  than the sequence that last set that group (a redelivered or older event changes nothing);
- status, updated_at and last_event_sequence follow the event with the greatest sequence, so
  a late InvoiceUploaded still fills the file columns but never turns an extracted invoice
  back into a processing one.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from invoice_contracts.events import InvoiceExtracted, InvoiceExtractionFailed, InvoiceUploaded

from invoice_query.domain.records import InvoiceRecord, InvoiceStatus

InvoiceEvent = InvoiceUploaded | InvoiceExtracted | InvoiceExtractionFailed

# The summary column is numeric(18,4): it serves sorting and filtering. The exact amount as
# extracted stays, as a string, in the extraction document.
TOTAL_SCALE = Decimal("0.0001")
TOTAL_LIMIT = Decimal(10) ** 14


class ForeignInvoiceEvent(ValueError):
    """The event names another user than the one the invoice belongs to."""


def status_after(event: InvoiceEvent) -> InvoiceStatus:
    if isinstance(event, InvoiceUploaded):
        return "processing"
    if isinstance(event, InvoiceExtracted):
        return "extracted"
    return "failed"


def summary_total(amount: Decimal | None) -> Decimal | None:
    """The total as the numeric(18,4) summary column holds it, or None if it cannot fit."""
    if amount is None or not amount.is_finite() or abs(amount) >= TOTAL_LIMIT:
        return None
    return amount.quantize(TOTAL_SCALE)


def utc(moment: datetime) -> datetime:
    """Event times without a zone are taken as UTC, as the contracts write them."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def apply_event(current: InvoiceRecord | None, event: InvoiceEvent, sequence: int) -> InvoiceRecord:
    """The record after ``event``, found at ``sequence`` in the stream, is applied to it."""
    if sequence < 1:
        raise ValueError("stream sequences start at 1")
    if current is None:
        record = InvoiceRecord(
            invoice_id=event.data.invoice_id,
            user_id=event.data.user_id,
            status=status_after(event),
            updated_at=utc(event.time),
            last_event_sequence=0,
        )
    elif current.user_id != event.data.user_id:
        # An invoice never changes hands: such an event is refused, never applied.
        raise ForeignInvoiceEvent(
            f"event {event.id} names user {event.data.user_id}, "
            f"but invoice {current.invoice_id} belongs to another user"
        )
    else:
        record = current

    if isinstance(event, InvoiceUploaded):
        record = _uploaded(record, event, sequence)
    elif isinstance(event, InvoiceExtracted):
        record = _extracted(record, event, sequence)
    else:
        record = _extraction_failed(record, event, sequence)

    if sequence > record.last_event_sequence:
        record = dataclasses.replace(
            record,
            status=status_after(event),
            updated_at=utc(event.time),
            last_event_sequence=sequence,
        )
    return record


def _newer(sequence: int, last: int | None) -> bool:
    return last is None or sequence > last


def _uploaded(record: InvoiceRecord, event: InvoiceUploaded, sequence: int) -> InvoiceRecord:
    if not _newer(sequence, record.upload_sequence):
        return record
    data = event.data
    return dataclasses.replace(
        record,
        file_name=data.file_name,
        content_type=data.content_type,
        size_bytes=data.size_bytes,
        sha256=data.sha256,
        object_key=data.object_key,
        uploaded_at=utc(event.time),
        upload_sequence=sequence,
    )


def _extracted(record: InvoiceRecord, event: InvoiceExtracted, sequence: int) -> InvoiceRecord:
    if not _newer(sequence, record.extraction_sequence):
        return record
    extraction = event.data.extraction
    found = extraction.data
    return dataclasses.replace(
        record,
        vendor_name=found.vendor.name if found.vendor else None,
        invoice_number=found.invoice_number,
        issue_date=found.issue_date,
        total=summary_total(found.total),
        currency=found.currency,
        # JSON mode writes amounts as exact decimal strings, never as floats.
        extraction=extraction.model_dump(mode="json"),
        extraction_sequence=sequence,
    )


def _extraction_failed(
    record: InvoiceRecord, event: InvoiceExtractionFailed, sequence: int
) -> InvoiceRecord:
    if not _newer(sequence, record.failure_sequence):
        return record
    data = event.data
    return dataclasses.replace(
        record,
        failure_code=data.error_code,
        failure_reason=data.reason,
        failure_attempts=data.attempts,
        failure_sequence=sequence,
    )
