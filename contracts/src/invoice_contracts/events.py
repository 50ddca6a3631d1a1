"""Invoice events: immutable, past-tense facts in a CloudEvents 1.0 envelope.

Each event travels as one JSON document in CloudEvents' structured mode on the subject
``invoices.<invoice id>.<kind>`` of the INVOICES stream. Events carry references (the object
key, the user id), never file bytes or API keys.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from invoice_contracts.extraction import Extraction

STREAM_NAME = "INVOICES"
SUBJECT_PREFIX = "invoices"
ALL_INVOICE_SUBJECTS = f"{SUBJECT_PREFIX}.>"


def invoice_subject(invoice_id: uuid.UUID | str, kind: str) -> str:
    return f"{SUBJECT_PREFIX}.{invoice_id}.{kind}"


def invoice_subjects(invoice_id: uuid.UUID | str) -> str:
    """The wildcard that matches every event of one invoice."""
    return f"{SUBJECT_PREFIX}.{invoice_id}.*"


def kind_subjects(kind: str) -> str:
    """The wildcard that matches one kind of event across all invoices."""
    return f"{SUBJECT_PREFIX}.*.{kind}"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    invoice_id: uuid.UUID
    user_id: uuid.UUID


class InvoiceUploadedData(_Data):
    object_key: str = Field(description="Where the original file lies in the object store")
    file_name: str = Field(max_length=255)
    content_type: Literal["application/pdf", "image/png"]
    size_bytes: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class InvoiceExtractedData(_Data):
    extraction: Extraction


class InvoiceExtractionFailedData(_Data):
    error_code: str = Field(
        description="Stable, machine-readable reason, for example 'unreadable_file'"
    )
    reason: str = Field(description="What happened and what the user can do about it")
    attempts: int = Field(ge=1, description="How many deliveries the extractor made")


class _Event(BaseModel):
    """CloudEvents 1.0 attributes, with the invoice's ids and the trace context as extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    KIND: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    source: str = Field(description="The service that appended the event, as a URI reference")
    subject: str = Field(description="The invoice id")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: int = 1
    userid: str
    traceparent: str | None = Field(
        default=None, description="W3C trace context of the request that caused the event"
    )

    @property
    def nats_subject(self) -> str:
        return invoice_subject(self.subject, self.KIND)


class InvoiceUploaded(_Event):
    KIND: ClassVar[str] = "uploaded"
    type: Literal["invoice.uploaded"] = "invoice.uploaded"
    dataschema: Literal["urn:invoice-backend:invoice.uploaded:1"] = (
        "urn:invoice-backend:invoice.uploaded:1"
    )
    data: InvoiceUploadedData


class InvoiceExtracted(_Event):
    KIND: ClassVar[str] = "extracted"
    type: Literal["invoice.extracted"] = "invoice.extracted"
    dataschema: Literal["urn:invoice-backend:invoice.extracted:1"] = (
        "urn:invoice-backend:invoice.extracted:1"
    )
    data: InvoiceExtractedData


class InvoiceExtractionFailed(_Event):
    KIND: ClassVar[str] = "extraction_failed"
    type: Literal["invoice.extraction_failed"] = "invoice.extraction_failed"
    dataschema: Literal["urn:invoice-backend:invoice.extraction_failed:1"] = (
        "urn:invoice-backend:invoice.extraction_failed:1"
    )
    data: InvoiceExtractionFailedData


InvoiceEvent = Annotated[
    InvoiceUploaded | InvoiceExtracted | InvoiceExtractionFailed,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[type[_Event], ...] = (InvoiceUploaded, InvoiceExtracted, InvoiceExtractionFailed)

_event_adapter: TypeAdapter[Any] = TypeAdapter(InvoiceEvent)


def parse_event(raw: bytes | str) -> InvoiceUploaded | InvoiceExtracted | InvoiceExtractionFailed:
    """Parse one event document; raises pydantic.ValidationError on anything off-contract."""
    event = _event_adapter.validate_json(raw)
    assert isinstance(event, (InvoiceUploaded, InvoiceExtracted, InvoiceExtractionFailed))
    return event


def event_source(service: str) -> str:
    return f"/invoice-backend/{service}"
