"""The ports the use cases need; adapters/ implements them on PostgreSQL, tests on memory."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from invoice_query.domain.listing import InvoiceListing
from invoice_query.domain.records import InvoiceRecord, ListedInvoice

DEAD_LETTER_MAX_BYTES = 64 * 1024


class ReadModelUnavailable(Exception):
    """The read model's database did not answer or failed; trying again later may work."""


class EventRejected(Exception):
    """The database refused the event's data itself; trying again cannot help."""


@dataclass(frozen=True)
class DeadLetter:
    """An event the projection cannot use, kept for an operator to inspect."""

    stream_sequence: int
    subject: str
    error: str
    raw: bytes
    raw_size: int


class ProjectionTransaction(Protocol):
    async def claim(
        self, event_id: str, stream_sequence: int, invoice_id: uuid.UUID, event_type: str
    ) -> bool:
        """Record the event as applied; False if it was applied before (a redelivery)."""
        ...

    async def load(self, invoice_id: uuid.UUID) -> InvoiceRecord | None:
        """The invoice's record, locked until the transaction ends."""
        ...

    async def save(self, record: InvoiceRecord) -> None: ...


class ReadModelStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[ProjectionTransaction]:
        """All or nothing: commits when the block ends, rolls back if it raises."""
        ...

    async def record_dead_letter(self, letter: DeadLetter) -> None: ...


class InvoiceReader(Protocol):
    async def list_invoices(
        self, user_id: uuid.UUID, listing: InvoiceListing
    ) -> list[ListedInvoice]:
        """Up to ``listing.limit + 1`` of the user's uploaded invoices, newest first."""
        ...

    async def get_invoice(self, user_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceRecord | None:
        """The user's invoice, if it exists, belongs to the user and its upload is known."""
        ...
