"""The read model's tables as SQLAlchemy Core sees them; migrations/ creates them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("file_name", Text),
    Column("content_type", Text),
    Column("size_bytes", BigInteger),
    Column("sha256", Text),
    Column("object_key", Text),
    Column("status", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("vendor_name", Text),
    Column("invoice_number", Text),
    Column("issue_date", Date),
    Column("total", Numeric(18, 4)),
    Column("currency", Text),
    Column("extraction", JSONB(none_as_null=True)),
    Column("failure_code", Text),
    Column("failure_reason", Text),
    Column("failure_attempts", Integer),
    Column("last_event_sequence", BigInteger, nullable=False),
    Column("upload_sequence", BigInteger),
    Column("extraction_sequence", BigInteger),
    Column("failure_sequence", BigInteger),
)

applied_events = Table(
    "applied_events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("stream_sequence", BigInteger, nullable=False, unique=True),
    Column("invoice_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("stream_sequence", BigInteger, primary_key=True),
    Column("subject", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("raw_size", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
