"""The two things ingest depends on: an object store for files and an appender for events.

The real ones come from invoice_platform (FilesystemObjectStore or MinioObjectStore, and
EventAppender on JetStream); tests inject hand-written fakes through the bootstrap.
"""

from __future__ import annotations

from typing import Protocol

from invoice_contracts.events import InvoiceUploaded
from invoice_platform.bus import Appended
from invoice_platform.storage import ObjectStore

__all__ = ["InvoiceEventAppender", "ObjectStore"]


class InvoiceEventAppender(Protocol):
    async def append(
        self, event: InvoiceUploaded, *, expected_invoice_sequence: int | None = None
    ) -> Appended:
        """Append the event, or raise ConcurrentAppend / BusUnavailable (invoice_platform.bus)."""
        ...
