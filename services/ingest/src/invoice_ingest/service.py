"""The ingest use cases: accept an upload, hand a stored file back to its owner."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from invoice_contracts.events import InvoiceUploaded, InvoiceUploadedData, event_source
from invoice_platform.bus import BusUnavailable, ConcurrentAppend
from invoice_platform.logs import bind_log_context
from invoice_platform.storage import (
    ObjectInfo,
    ObjectNotFound,
    ObjectStoreUnavailable,
    invoice_object_key,
)
from invoice_platform.tracing import current_traceparent

from invoice_ingest.domain.errors import (
    EmptyFile,
    FileStoreUnavailable,
    IdempotencyKeyReused,
    InvoiceFileNotFound,
    UnsupportedFileType,
    UploadConflict,
    UploadNotAccepted,
)
from invoice_ingest.domain.files import clean_file_name, sniff_content_type
from invoice_ingest.domain.idempotency import invoice_id_for_idempotency_key, uploaded_event_id
from invoice_ingest.domain.model import (
    AcceptedUpload,
    InvoiceFile,
    InvoiceFileUrl,
    ReceivedFile,
)
from invoice_ingest.ports import InvoiceEventAppender, ObjectStore

logger = logging.getLogger(__name__)

SOURCE = event_source("ingest")
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _EarlierUpload:
    file_name: str
    uploaded_at: datetime


class IngestService:
    def __init__(
        self,
        store: ObjectStore,
        appender: InvoiceEventAppender,
        *,
        presigned_url_ttl: timedelta,
        clock: Clock = _utc_now,
    ) -> None:
        self.store = store
        self.appender = appender
        self.presigned_url_ttl = presigned_url_ttl
        self.clock = clock

    async def accept_upload(
        self, user_id: uuid.UUID, received: ReceivedFile, idempotency_key: str | None
    ) -> AcceptedUpload:
        """Store the file and append InvoiceUploaded; the invoice exists once the event does."""
        if received.size == 0:
            raise EmptyFile("the file is empty")
        content_type = sniff_content_type(received.head)
        if content_type is None:
            raise UnsupportedFileType("the file is neither a PDF nor a PNG")
        file_name = clean_file_name(received.client_file_name, content_type)
        if idempotency_key is None:
            invoice_id = uuid.uuid4()
        else:
            invoice_id = invoice_id_for_idempotency_key(user_id, idempotency_key)
        bind_log_context(invoice_id=invoice_id, user_id=user_id)
        object_key = invoice_object_key(user_id, invoice_id)

        earlier = None
        if idempotency_key is not None:
            earlier = await self._earlier_upload(object_key, received.sha256, file_name)
        if earlier is None:
            uploaded_at = self.clock()
            await self._store(object_key, received, content_type, file_name, user_id, uploaded_at)
        else:
            # A retry reuses what the first attempt stored, so the event it appends is the
            # same event, byte for byte, and the answer is the same answer.
            file_name, uploaded_at = earlier.file_name, earlier.uploaded_at

        event = InvoiceUploaded(
            id=uploaded_event_id(invoice_id),
            source=SOURCE,
            subject=str(invoice_id),
            time=uploaded_at,
            userid=str(user_id),
            traceparent=current_traceparent(),
            data=InvoiceUploadedData(
                invoice_id=invoice_id,
                user_id=user_id,
                object_key=object_key,
                file_name=file_name,
                content_type=content_type,
                size_bytes=received.size,
                sha256=received.sha256,
            ),
        )
        bind_log_context(event_id=event.id)
        retried = await self._append(event, idempotent=idempotency_key is not None)
        logger.info(
            "accepted invoice %s of user %s: %s, %d bytes%s",
            invoice_id,
            user_id,
            content_type,
            received.size,
            " (retry of an earlier upload)" if retried else "",
        )
        return AcceptedUpload(
            invoice_id=invoice_id,
            file_name=file_name,
            content_type=content_type,
            size_bytes=received.size,
            sha256=received.sha256,
            uploaded_at=uploaded_at,
            retried=retried,
        )

    async def _earlier_upload(
        self, object_key: str, sha256: str, file_name: str
    ) -> _EarlierUpload | None:
        try:
            info = await self.store.stat(object_key)
        except ObjectNotFound:
            return None
        except ObjectStoreUnavailable as exc:
            raise UploadNotAccepted("store_unavailable", str(exc)) from exc
        # Overwriting the object with other bytes would leave an event (if the first attempt
        # got that far) describing a file that no longer exists; the first file wins.
        if info.metadata.get("sha256") != sha256:
            raise IdempotencyKeyReused("the Idempotency-Key was used before for another file")
        return _EarlierUpload(
            file_name=info.metadata.get("file_name") or file_name,
            uploaded_at=_uploaded_at(info) or self.clock(),
        )

    async def _store(
        self,
        object_key: str,
        received: ReceivedFile,
        content_type: str,
        file_name: str,
        user_id: uuid.UUID,
        uploaded_at: datetime,
    ) -> None:
        metadata = {
            "file_name": file_name,
            "sha256": received.sha256,
            "user_id": str(user_id),
            "uploaded_at": uploaded_at.isoformat(),
        }
        received.content.seek(0)
        try:
            await self.store.put(
                object_key, received.content, received.size, content_type, metadata
            )
        except ObjectStoreUnavailable as exc:
            logger.error("could not store the file of invoice %s: %s", object_key, exc)
            raise UploadNotAccepted("store_unavailable", str(exc)) from exc

    async def _append(self, event: InvoiceUploaded, *, idempotent: bool) -> bool:
        """Append the event; True when it was already there (a retried request)."""
        try:
            appended = await self.appender.append(event, expected_invoice_sequence=0)
        except ConcurrentAppend as exc:
            if idempotent:
                # The invoice already has events: an earlier attempt with this key created it.
                return True
            raise UploadConflict(f"invoice {event.subject} already has events") from exc
        except BusUnavailable as exc:
            # The file is stored but no event names it. That is harmless: a retry with the same
            # Idempotency-Key overwrites the same object key, and without a key the object is
            # simply never referenced by any invoice.
            logger.error("could not append InvoiceUploaded for %s: %s", event.subject, exc)
            raise UploadNotAccepted("bus_unavailable", str(exc)) from exc
        return appended.duplicate

    async def open_file(self, user_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceFile:
        """The owner's stored original; any other user's invoice is simply not found."""
        object_key = invoice_object_key(user_id, invoice_id)
        info = await self._stat(object_key)
        return InvoiceFile(
            file_name=info.metadata.get("file_name") or "",
            content_type=info.content_type,
            size_bytes=info.size,
            chunks=self.store.stream(object_key),
        )

    async def file_url(self, user_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceFileUrl:
        """A short-lived download URL from the store, or this service's own download path."""
        object_key = invoice_object_key(user_id, invoice_id)
        info = await self._stat(object_key)
        expires_at = self.clock() + self.presigned_url_ttl
        try:
            url = await self.store.presigned_url(
                object_key, self.presigned_url_ttl, info.metadata.get("file_name") or ""
            )
        except ObjectStoreUnavailable as exc:
            raise FileStoreUnavailable(str(exc)) from exc
        if url is None:
            return InvoiceFileUrl(url=f"/invoices/{invoice_id}/file", expires_at=None)
        return InvoiceFileUrl(url=url, expires_at=expires_at)

    async def _stat(self, object_key: str) -> ObjectInfo:
        try:
            return await self.store.stat(object_key)
        except ObjectNotFound as exc:
            raise InvoiceFileNotFound(object_key) from exc
        except ObjectStoreUnavailable as exc:
            raise FileStoreUnavailable(str(exc)) from exc


def _uploaded_at(info: ObjectInfo) -> datetime | None:
    try:
        return datetime.fromisoformat(info.metadata["uploaded_at"])
    except (KeyError, ValueError):
        return None
