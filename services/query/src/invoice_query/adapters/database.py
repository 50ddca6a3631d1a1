"""The read model on PostgreSQL (SQLAlchemy Core, asyncpg).

Driver errors stop here: the use cases see ReadModelUnavailable (worth retrying) or
EventRejected (the data itself was refused: SQLSTATE classes 22 and 23).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import RowMapping, Select, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from invoice_query.adapters.tables import applied_events, dead_letters, invoices
from invoice_query.domain.listing import LIKE_ESCAPE, InvoiceListing, contains_pattern
from invoice_query.domain.records import InvoiceRecord, ListedInvoice
from invoice_query.handlers.ports import DeadLetter, EventRejected, ReadModelUnavailable

logger = logging.getLogger(__name__)

RECORD_COLUMNS = tuple(field.name for field in dataclasses.fields(InvoiceRecord))
_DATA_EXCEPTION_CLASSES = ("22", "23")
DRIVER_ERRORS = (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


def make_engine(url: str, *, pool_size: int = 5, command_timeout: float = 10.0) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"command_timeout": command_timeout, "timeout": 5},
    )


def _sqlstate(exc: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        current = getattr(current, "orig", None) or current.__cause__
    return None


def translate(exc: BaseException) -> Exception:
    """The service's own error for a driver error."""
    state = _sqlstate(exc)
    if state is not None and state[:2] in _DATA_EXCEPTION_CLASSES:
        return EventRejected(f"the database refused the data (SQLSTATE {state}): {exc}")
    return ReadModelUnavailable(f"the read model's database failed: {type(exc).__name__}: {exc}")


def _record(row: RowMapping) -> InvoiceRecord:
    return InvoiceRecord(**{name: row[name] for name in RECORD_COLUMNS})


def _lock_key(invoice_id: uuid.UUID) -> int:
    return int.from_bytes(invoice_id.bytes[:8], "big", signed=True)


class SqlProjectionTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def claim(
        self, event_id: str, stream_sequence: int, invoice_id: uuid.UUID, event_type: str
    ) -> bool:
        claimed = await self.connection.execute(
            insert(applied_events)
            .values(
                event_id=event_id,
                stream_sequence=stream_sequence,
                invoice_id=invoice_id,
                event_type=event_type,
            )
            .on_conflict_do_nothing()
            .returning(applied_events.c.event_id)
        )
        return claimed.first() is not None

    async def load(self, invoice_id: uuid.UUID) -> InvoiceRecord | None:
        # The invoice may have no row yet, so a row lock cannot guard its creation: a
        # transaction-scoped advisory lock per invoice serialises writers (a replay running
        # beside the live projection) whether or not the row exists.
        await self.connection.execute(select(func.pg_advisory_xact_lock(_lock_key(invoice_id))))
        row = (
            (
                await self.connection.execute(
                    select(invoices).where(invoices.c.invoice_id == invoice_id)
                )
            )
            .mappings()
            .first()
        )
        return _record(row) if row is not None else None

    async def save(self, record: InvoiceRecord) -> None:
        values = dataclasses.asdict(record)
        statement = insert(invoices).values(values)
        changed = {
            name: statement.excluded[name] for name in RECORD_COLUMNS if name != "invoice_id"
        }
        await self.connection.execute(
            statement.on_conflict_do_update(index_elements=[invoices.c.invoice_id], set_=changed)
        )


class SqlReadModel:
    """The projection's store and the queries' reader, on one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlProjectionTransaction]:
        try:
            async with self.engine.begin() as connection:
                yield SqlProjectionTransaction(connection)
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc

    async def record_dead_letter(self, letter: DeadLetter) -> None:
        statement = insert(dead_letters).values(dataclasses.asdict(letter)).on_conflict_do_nothing()
        try:
            async with self.engine.begin() as connection:
                await connection.execute(statement)
        except DRIVER_ERRORS as exc:
            # Even a refused dead letter must be retried rather than lost.
            raise ReadModelUnavailable(f"could not store the dead letter: {exc}") from exc

    async def list_invoices(
        self, user_id: uuid.UUID, listing: InvoiceListing
    ) -> list[ListedInvoice]:
        statement = _listing_statement(user_id, listing)
        try:
            async with self.engine.connect() as connection:
                rows = (await connection.execute(statement)).mappings().all()
        except DRIVER_ERRORS as exc:
            raise ReadModelUnavailable(f"could not list invoices: {exc}") from exc
        return [ListedInvoice(**row) for row in rows]

    async def get_invoice(self, user_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceRecord | None:
        statement = select(invoices).where(
            invoices.c.invoice_id == invoice_id,
            invoices.c.user_id == user_id,
            invoices.c.uploaded_at.is_not(None),
        )
        try:
            async with self.engine.connect() as connection:
                row = (await connection.execute(statement)).mappings().first()
        except DRIVER_ERRORS as exc:
            raise ReadModelUnavailable(f"could not read invoice {invoice_id}: {exc}") from exc
        return _record(row) if row is not None else None

    async def clear(self) -> None:
        """Empty every read model table, ahead of a replay from the start of the stream."""
        try:
            async with self.engine.begin() as connection:
                await connection.execute(text("TRUNCATE invoices, applied_events, dead_letters"))
        except DRIVER_ERRORS as exc:
            raise ReadModelUnavailable(f"could not clear the read model: {exc}") from exc

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DRIVER_ERRORS as exc:
            raise ReadModelUnavailable(f"the database does not answer: {exc}") from exc


def _listing_statement(user_id: uuid.UUID, listing: InvoiceListing) -> Select[Any]:
    # The exact total as extracted (a decimal string), not the rounded summary column.
    total = invoices.c.extraction[("data", "total")].astext
    statement = select(
        invoices.c.invoice_id,
        invoices.c.file_name,
        invoices.c.status,
        invoices.c.uploaded_at,
        invoices.c.updated_at,
        invoices.c.vendor_name,
        invoices.c.invoice_number,
        invoices.c.issue_date,
        total.label("total"),
        invoices.c.currency,
    ).where(invoices.c.user_id == user_id, invoices.c.uploaded_at.is_not(None))
    if listing.status is not None:
        statement = statement.where(invoices.c.status == listing.status)
    if listing.uploaded_from is not None:
        statement = statement.where(invoices.c.uploaded_at >= listing.uploaded_from)
    if listing.uploaded_before is not None:
        statement = statement.where(invoices.c.uploaded_at < listing.uploaded_before)
    if listing.text is not None:
        # lower() on both sides, in the database, so that both fold case by the same rules;
        # the expressions match the trigram indexes on lower(column).
        pattern = func.lower(contains_pattern(listing.text))
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape=LIKE_ESCAPE)
                    for column in (
                        invoices.c.file_name,
                        invoices.c.vendor_name,
                        invoices.c.invoice_number,
                    )
                )
            )
        )
    if listing.after is not None:
        statement = statement.where(
            tuple_(invoices.c.uploaded_at, invoices.c.invoice_id)
            < tuple_(listing.after.uploaded_at, listing.after.invoice_id)
        )
    return statement.order_by(invoices.c.uploaded_at.desc(), invoices.c.invoice_id.desc()).limit(
        listing.limit + 1
    )
