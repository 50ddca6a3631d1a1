"""Reading the read model for one user: pages of history or search, and one invoice."""

from __future__ import annotations

import uuid

from invoice_query.domain.listing import InvoiceListing, InvoicePage, page_of
from invoice_query.domain.records import InvoiceRecord
from invoice_query.handlers.ports import InvoiceReader


async def invoice_page(
    reader: InvoiceReader, user_id: uuid.UUID, listing: InvoiceListing
) -> InvoicePage:
    rows = await reader.list_invoices(user_id, listing)
    return page_of(rows, listing.limit)


async def invoice_detail(
    reader: InvoiceReader, user_id: uuid.UUID, invoice_id: uuid.UUID
) -> InvoiceRecord | None:
    """The invoice if it is the user's own; None alike when it is missing or someone else's."""
    return await reader.get_invoice(user_id, invoice_id)
