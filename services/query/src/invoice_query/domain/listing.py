"""What a history or search request asks for, in the read model's terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from invoice_query.domain.cursor import Cursor
from invoice_query.domain.records import InvoiceStatus, ListedInvoice

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 200
LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class InvoiceListing:
    """One page request: the user's invoices matching every filter given, newest first."""

    limit: int = DEFAULT_PAGE_SIZE
    after: Cursor | None = None
    status: InvoiceStatus | None = None
    uploaded_from: datetime | None = None
    uploaded_before: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class InvoicePage:
    items: list[ListedInvoice]
    next_cursor: Cursor | None


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching values that contain ``text`` literally.

    ``%`` and ``_`` in a user's query are characters to look for, not wildcards.
    """
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def range_start(bound: date | datetime) -> datetime:
    """The first instant an ``uploaded_from`` bound includes (a date means its whole day, UTC)."""
    if isinstance(bound, datetime):
        return _as_utc(bound)
    return datetime.combine(bound, time.min, tzinfo=UTC)


def range_end(bound: date | datetime) -> datetime:
    """The first instant after an inclusive ``uploaded_to`` bound (a date includes its day)."""
    try:
        if isinstance(bound, datetime):
            return _as_utc(bound) + timedelta(microseconds=1)
        return datetime.combine(bound + timedelta(days=1), time.min, tzinfo=UTC)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def page_of(rows: list[ListedInvoice], limit: int) -> InvoicePage:
    """The page from up to ``limit + 1`` rows: the extra row only tells that more follow."""
    items = rows[:limit]
    more = len(rows) > limit
    last = items[-1] if items else None
    next_cursor = Cursor(last.uploaded_at, last.invoice_id) if more and last else None
    return InvoicePage(items=items, next_cursor=next_cursor)
