"""What the extraction handler needs from the outside world; adapters and test fakes fill these."""

from __future__ import annotations

import uuid
from typing import Protocol

from invoice_contracts.events import InvoiceUploadedData
from invoice_platform.bus import Appended, InvoiceEventModel

from invoice_extractor.domain.model import Document, UserExtractionSettings


class Delivery(Protocol):
    """One delivery of an InvoiceUploaded message, and the ways to settle it."""

    @property
    def body(self) -> bytes: ...

    @property
    def stream_sequence(self) -> int: ...

    @property
    def attempt(self) -> int:
        """How many times the message has been delivered, this delivery included."""
        ...

    async def ack(self) -> None: ...

    async def nak(self, delay_seconds: float) -> None: ...

    async def term(self) -> None: ...

    async def in_progress(self) -> None: ...


class DocumentSource(Protocol):
    async def fetch(self, upload: InvoiceUploadedData) -> Document: ...


class SettingsSource(Protocol):
    async def for_user(self, user_id: uuid.UUID) -> UserExtractionSettings: ...


class OutcomeAppender(Protocol):
    """Raises invoice_platform.bus.ConcurrentAppend or BusUnavailable, like EventAppender."""

    async def append(
        self, event: InvoiceEventModel, *, expected_invoice_sequence: int | None = None
    ) -> Appended: ...
