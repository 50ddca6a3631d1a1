"""The values that pass between the HTTP edge and the upload use cases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from invoice_ingest.domain.files import InvoiceContentType


@dataclass(frozen=True)
class ReceivedFile:
    """An uploaded file, already spooled: its bytes, size, digest and first bytes."""

    content: BinaryIO
    size: int
    sha256: str
    head: bytes
    client_file_name: str | None


@dataclass(frozen=True)
class AcceptedUpload:
    invoice_id: uuid.UUID
    file_name: str
    content_type: InvoiceContentType
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    retried: bool


@dataclass(frozen=True)
class InvoiceFile:
    """A stored original, ready to be streamed back to its owner."""

    file_name: str
    content_type: str
    size_bytes: int
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class InvoiceFileUrl:
    url: str
    expires_at: datetime | None
