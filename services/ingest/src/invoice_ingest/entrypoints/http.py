"""HTTP routes of ingest: upload an invoice, download its original file."""

from __future__ import annotations

import logging
import unicodedata
import uuid
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from invoice_platform.logs import bind_log_context
from invoice_platform.problems import Problem
from invoice_platform.tokens import Principal, TokenVerifier, authenticate
from pydantic import BaseModel

from invoice_ingest.domain.errors import (
    EmptyFile,
    FileStoreUnavailable,
    FileTooLarge,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvoiceFileNotFound,
    MalformedUpload,
    MissingFile,
    UnsupportedFileType,
    UploadConflict,
    UploadNotAccepted,
    UploadRefused,
)
from invoice_ingest.domain.files import DEFAULT_FILE_NAMES, PDF
from invoice_ingest.domain.idempotency import is_valid_idempotency_key
from invoice_ingest.entrypoints.multipart import received_invoice_file
from invoice_ingest.metrics import UPLOAD_SIZE, UPLOADS_ACCEPTED, UPLOADS_REFUSED
from invoice_ingest.service import IngestService

logger = logging.getLogger(__name__)

router = APIRouter(tags=["invoices"])

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}


class UploadAccepted(BaseModel):
    invoice_id: uuid.UUID
    status: Literal["processing"] = "processing"
    file_name: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime


class FileUrl(BaseModel):
    url: str
    expires_at: datetime | None


def _service(request: Request) -> IngestService:
    service: IngestService = request.app.state.ingest
    return service


async def _principal(request: Request) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    return await authenticate(request, verifier)


def _upload_problem(exc: UploadRefused) -> Problem:
    if isinstance(exc, FileTooLarge):
        return Problem(
            413,
            "file-too-large",
            f"The file is larger than the limit of {exc.limit_bytes} bytes.",
            limit_bytes=exc.limit_bytes,
        )
    if isinstance(exc, UnsupportedFileType):
        return Problem(
            415,
            "unsupported-file-type",
            "Only PDF and PNG invoices are accepted; this file looks like neither.",
        )
    if isinstance(exc, MissingFile):
        return Problem(
            422,
            "missing-file",
            "Send the invoice as multipart/form-data in a field named 'file'.",
        )
    if isinstance(exc, EmptyFile):
        return Problem(422, "empty-file", "The file is empty.")
    if isinstance(exc, MalformedUpload):
        return Problem(400, "malformed-upload", f"The upload could not be read: {exc}.")
    if isinstance(exc, InvalidIdempotencyKey):
        return Problem(
            400,
            "invalid-idempotency-key",
            "The Idempotency-Key header must be 1 to 200 printable ASCII characters.",
        )
    if isinstance(exc, IdempotencyKeyReused):
        return Problem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different file; use a new key.",
        )
    if isinstance(exc, UploadConflict):
        return Problem(409, "conflict", "The invoice changed while it was being created; retry.")
    if isinstance(exc, UploadNotAccepted):
        return Problem(
            503,
            "upload-not-accepted",
            "The upload was not accepted: it cannot be stored or recorded right now. "
            "Retry shortly, with the same Idempotency-Key if you sent one.",
            headers={"Retry-After": "5"},
        )
    return Problem(400, "upload-refused", str(exc))


@router.post(
    "/invoices/upload",
    status_code=202,
    response_model=UploadAccepted,
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def upload_invoice(request: Request, response: Response) -> UploadAccepted:
    """Upload a PDF or PNG invoice (multipart field "file"); extraction starts in the background."""
    try:
        principal = await _principal(request)
    except Problem:
        UPLOADS_REFUSED.labels("unauthenticated").inc()
        raise
    settings = request.app.state.settings
    idempotency_key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    try:
        if idempotency_key is not None and not is_valid_idempotency_key(idempotency_key):
            raise InvalidIdempotencyKey("the Idempotency-Key header is not usable")
        async with received_invoice_file(request, settings.max_upload_bytes) as received:
            accepted = await _service(request).accept_upload(
                principal.user_id, received, idempotency_key
            )
    except UploadRefused as exc:
        UPLOADS_REFUSED.labels(exc.reason).inc()
        logger.info("refused an upload of user %s: %s (%s)", principal.user_id, exc, exc.reason)
        raise _upload_problem(exc) from exc
    if not accepted.retried:
        UPLOADS_ACCEPTED.labels(accepted.content_type).inc()
        UPLOAD_SIZE.observe(accepted.size_bytes)
    response.headers["Location"] = f"/invoices/{accepted.invoice_id}"
    return UploadAccepted(
        invoice_id=accepted.invoice_id,
        file_name=accepted.file_name,
        content_type=accepted.content_type,
        size_bytes=accepted.size_bytes,
        uploaded_at=accepted.uploaded_at,
    )


def _invoice_id(raw: str, principal: Principal) -> uuid.UUID:
    try:
        invoice_id = uuid.UUID(raw)
    except ValueError as exc:
        raise _not_found() from exc
    bind_log_context(invoice_id=invoice_id, user_id=principal.user_id)
    return invoice_id


def _not_found() -> Problem:
    return Problem(404, "invoice-not-found", "No invoice with this id exists for you.")


def _store_unavailable() -> Problem:
    return Problem(
        503,
        "file-store-unavailable",
        "The file store is unavailable right now; try again shortly.",
        headers={"Retry-After": "5"},
    )


def content_disposition(file_name: str, content_type: str) -> str:
    """An attachment header with the UTF-8 name and a plain ASCII fallback for old clients."""
    default = DEFAULT_FILE_NAMES.get(content_type, DEFAULT_FILE_NAMES[PDF])
    name = file_name or default
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in ascii_name)
    stem = ascii_name.rpartition(".")[0] if "." in ascii_name else ascii_name
    if not stem.strip(" ._-"):
        ascii_name = default
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/invoices/{invoice_id}/file",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}}}},
)
async def download_invoice_file(invoice_id: str, request: Request) -> StreamingResponse:
    """Download the original file of one of your invoices."""
    principal = await _principal(request)
    try:
        file = await _service(request).open_file(
            principal.user_id, _invoice_id(invoice_id, principal)
        )
    except InvoiceFileNotFound as exc:
        raise _not_found() from exc
    except FileStoreUnavailable as exc:
        logger.error("cannot read the file of invoice %s: %s", invoice_id, exc)
        raise _store_unavailable() from exc
    headers = {
        "Content-Length": str(file.size_bytes),
        "Content-Disposition": content_disposition(file.file_name, file.content_type),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(file.chunks, media_type=file.content_type, headers=headers)


@router.get("/invoices/{invoice_id}/file-url", response_model=FileUrl)
async def invoice_file_url(invoice_id: str, request: Request) -> Any:
    """A short-lived URL to download the original file of one of your invoices."""
    principal = await _principal(request)
    try:
        url = await _service(request).file_url(
            principal.user_id, _invoice_id(invoice_id, principal)
        )
    except InvoiceFileNotFound as exc:
        raise _not_found() from exc
    except FileStoreUnavailable as exc:
        logger.error("cannot sign a URL for invoice %s: %s", invoice_id, exc)
        raise _store_unavailable() from exc
    return FileUrl(url=url.url, expires_at=url.expires_at)
