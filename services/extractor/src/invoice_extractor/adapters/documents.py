"""Original invoice files from the object store, as documents a provider can read."""

from __future__ import annotations

import hashlib
import logging

from invoice_contracts.events import InvoiceUploadedData
from invoice_platform.storage import ObjectNotFound, ObjectStore, ObjectStoreUnavailable

from invoice_extractor.domain import errors
from invoice_extractor.domain.model import Document

logger = logging.getLogger(__name__)


class ObjectStoreDocuments:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    async def fetch(self, upload: InvoiceUploadedData) -> Document:
        # The whole file is held in memory: both providers need all of it at once (OpenAI as
        # one base64 string, pdfplumber for random access), and ingest bounds upload sizes.
        try:
            content = await self.store.get_bytes(upload.object_key)
        except ObjectNotFound as exc:
            raise errors.file_missing() from exc
        except ObjectStoreUnavailable as exc:
            logger.warning("object store unavailable: %s", exc)
            raise errors.file_storage_unavailable() from exc
        if hashlib.sha256(content).hexdigest() != upload.sha256:
            logger.error("stored file %s does not match the uploaded hash", upload.object_key)
            raise errors.file_mismatch()
        return Document(bytes=content, content_type=upload.content_type, file_name=upload.file_name)
