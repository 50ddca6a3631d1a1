"""HTTP routes: history, search and detail, each scoped to the authenticated user."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from invoice_contracts.extraction import invoice_data_json_schema
from invoice_platform.logs import bind_log_context
from invoice_platform.problems import Problem
from invoice_platform.tokens import TokenVerifier, authenticate
from pydantic import StringConstraints, TypeAdapter

from invoice_query.domain.cursor import (
    MAX_CURSOR_LENGTH,
    InvalidCursor,
    decode_cursor,
    encode_cursor,
)
from invoice_query.domain.listing import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    InvoiceListing,
    range_end,
    range_start,
)
from invoice_query.domain.records import InvoiceStatus
from invoice_query.entrypoints.schemas import InvoiceDetail, InvoicePage, InvoiceSummary
from invoice_query.handlers import queries
from invoice_query.handlers.ports import InvoiceReader, ReadModelUnavailable

logger = logging.getLogger(__name__)

router = APIRouter(tags=["invoices"])

_date_time: TypeAdapter[datetime] = TypeAdapter(datetime)
ISO_DATE_LENGTH = len("2024-03-01")
SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_LENGTH)
]


@dataclass(frozen=True)
class QueryPorts:
    """What the routes need, set on app.state.query by the bootstrap."""

    reader: InvoiceReader
    verifier: TokenVerifier


def _ports(request: Request) -> QueryPorts:
    ports: QueryPorts = request.app.state.query
    return ports


async def current_user(request: Request) -> uuid.UUID:
    principal = await authenticate(request, _ports(request).verifier)
    bind_log_context(user_id=principal.user_id)
    return principal.user_id


def _invalid_query(name: str, message: str) -> Problem:
    return Problem(
        422,
        "validation-failed",
        "The request is not valid: see 'errors'.",
        errors=[{"location": ["query", name], "message": message}],
    )


def _moment_of(name: str, value: str | None) -> date | datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        # A bare date stands for its whole day, so it must not be read as midnight.
        if len(text) == ISO_DATE_LENGTH:
            return date.fromisoformat(text)
        return _date_time.validate_python(text)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError too
        raise _invalid_query(
            name, "expected an ISO 8601 date (2024-03-01) or date-time (2024-03-01T12:00:00Z)"
        ) from exc


@dataclass(frozen=True)
class ListingParameters:
    limit: int
    cursor: str | None
    status: InvoiceStatus | None
    uploaded_from: str | None
    uploaded_to: str | None


def listing_parameters(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Invoices per page")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page"),
    ] = None,
    status: Annotated[
        InvoiceStatus | None, Query(description="Only invoices in this state")
    ] = None,
    uploaded_from: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Uploaded at or after: ISO date (whole day, UTC) or date-time",
        ),
    ] = None,
    uploaded_to: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Uploaded at or before: ISO date (whole day, UTC) or date-time",
        ),
    ] = None,
) -> ListingParameters:
    return ListingParameters(limit, cursor, status, uploaded_from, uploaded_to)


def _listing(parameters: ListingParameters, text: str | None) -> InvoiceListing:
    after = None
    if parameters.cursor is not None:
        try:
            after = decode_cursor(parameters.cursor)
        except InvalidCursor as exc:
            raise Problem(
                400, "invalid-cursor", "The cursor is not valid; start again from the first page."
            ) from exc
    uploaded_from = _moment_of("uploaded_from", parameters.uploaded_from)
    uploaded_to = _moment_of("uploaded_to", parameters.uploaded_to)
    return InvoiceListing(
        limit=parameters.limit,
        after=after,
        status=parameters.status,
        uploaded_from=range_start(uploaded_from) if uploaded_from is not None else None,
        uploaded_before=range_end(uploaded_to) if uploaded_to is not None else None,
        text=text,
    )


def _unavailable(exc: ReadModelUnavailable) -> Problem:
    logger.error("read model unavailable: %s", exc)
    return Problem(503, "unavailable", "Invoices cannot be read right now; try again shortly.")


async def _page(request: Request, user_id: uuid.UUID, listing: InvoiceListing) -> InvoicePage:
    try:
        page = await queries.invoice_page(_ports(request).reader, user_id, listing)
    except ReadModelUnavailable as exc:
        raise _unavailable(exc) from exc
    return InvoicePage(
        items=[InvoiceSummary.of(item) for item in page.items],
        next_cursor=encode_cursor(page.next_cursor) if page.next_cursor else None,
    )


@router.get("/invoices", response_model=InvoicePage)
async def list_invoices(
    request: Request,
    user_id: Annotated[uuid.UUID, Depends(current_user)],
    parameters: Annotated[ListingParameters, Depends(listing_parameters)],
    query: Annotated[
        SearchText | None,
        Query(description="Text in the file name, vendor name or invoice number"),
    ] = None,
) -> InvoicePage:
    """Your invoices, newest first, one page at a time; filter by status, upload date or text."""
    return await _page(request, user_id, _listing(parameters, query))


@router.get("/invoices/search", response_model=InvoicePage)
async def search_invoices(
    request: Request,
    user_id: Annotated[uuid.UUID, Depends(current_user)],
    parameters: Annotated[ListingParameters, Depends(listing_parameters)],
    query: Annotated[
        SearchText,
        Query(description="Text in the file name, vendor name or invoice number"),
    ],
) -> InvoicePage:
    """Your invoices whose file name, vendor name or invoice number contains the query text."""
    return await _page(request, user_id, _listing(parameters, query))


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetail)
async def get_invoice(
    request: Request,
    user_id: Annotated[uuid.UUID, Depends(current_user)],
    invoice_id: str,
) -> InvoiceDetail:
    """One of your invoices with its extracted data, or why the extraction failed."""
    not_found = Problem(404, "invoice-not-found", "You have no invoice with this id.")
    try:
        wanted = uuid.UUID(invoice_id)
    except ValueError as exc:
        raise not_found from exc
    bind_log_context(invoice_id=wanted)
    try:
        record = await queries.invoice_detail(_ports(request).reader, user_id, wanted)
    except ReadModelUnavailable as exc:
        raise _unavailable(exc) from exc
    # Someone else's invoice answers exactly like a missing one: its existence stays private.
    if record is None:
        raise not_found
    return InvoiceDetail.of(record)


def install_routes(app: FastAPI, ports: QueryPorts) -> None:
    app.state.query = ports
    app.include_router(router)


@router.get("/schemas/invoice-data", tags=["schemas"])
async def invoice_data_schema() -> JSONResponse:
    """The JSON Schema of extracted invoice data: the very schema the LLM is asked to fill."""
    return JSONResponse(
        invoice_data_json_schema(),
        media_type="application/schema+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
