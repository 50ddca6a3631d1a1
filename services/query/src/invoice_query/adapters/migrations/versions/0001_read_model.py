"""The invoice read model: invoices, applied_events, dead_letters.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED_COLUMNS = ("file_name", "vendor_name", "invoice_number")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.Text()),
        sa.Column("content_type", sa.Text()),
        sa.Column("size_bytes", sa.BigInteger()),
        sa.Column("sha256", sa.Text()),
        sa.Column("object_key", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vendor_name", sa.Text()),
        sa.Column("invoice_number", sa.Text()),
        sa.Column("issue_date", sa.Date()),
        sa.Column("total", sa.Numeric(18, 4)),
        sa.Column("currency", sa.Text()),
        sa.Column("extraction", postgresql.JSONB()),
        sa.Column("failure_code", sa.Text()),
        sa.Column("failure_reason", sa.Text()),
        sa.Column("failure_attempts", sa.Integer()),
        sa.Column("last_event_sequence", sa.BigInteger(), nullable=False),
        sa.Column("upload_sequence", sa.BigInteger()),
        sa.Column("extraction_sequence", sa.BigInteger()),
        sa.Column("failure_sequence", sa.BigInteger()),
        sa.CheckConstraint(
            "status in ('processing', 'extracted', 'failed')", name="ck_invoices_status"
        ),
    )
    # History: one user's invoices, newest first, continued by keyset (uploaded_at, invoice_id).
    op.create_index(
        "ix_invoices_history",
        "invoices",
        ["user_id", sa.text("uploaded_at DESC"), sa.text("invoice_id DESC")],
    )
    # Search: case-insensitive substring match; trigram indexes serve LIKE '%...%'.
    for column in SEARCHED_COLUMNS:
        op.execute(
            f"CREATE INDEX ix_invoices_{column}_trgm ON invoices "
            f"USING gin (lower({column}) gin_trgm_ops)"
        )

    op.create_table(
        "applied_events",
        sa.Column("event_id", sa.Text(), primary_key=True),
        sa.Column("stream_sequence", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.UniqueConstraint("stream_sequence", name="uq_applied_events_stream_sequence"),
    )
    op.create_table(
        "dead_letters",
        sa.Column("stream_sequence", sa.BigInteger(), primary_key=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
    op.drop_table("applied_events")
    op.drop_table("invoices")
