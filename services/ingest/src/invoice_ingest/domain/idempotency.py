"""Idempotent uploads: a retried request with the same Idempotency-Key names the same invoice.

The ids are UUIDv5 names of the user and the key, so a retry reaches the same object key and
the same event id without any state kept by this service; the stream's de-duplication and its
expected-sequence check then make the retried append a no-op.
"""

from __future__ import annotations

import uuid

MAX_IDEMPOTENCY_KEY_CHARS = 200

_INVOICE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:invoice-backend:ingest:invoice")
_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:invoice-backend:ingest:event")


def is_valid_idempotency_key(key: str) -> bool:
    """1 to 200 printable ASCII characters."""
    return 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS and all(" " <= c <= "~" for c in key)


def invoice_id_for_idempotency_key(user_id: uuid.UUID, key: str) -> uuid.UUID:
    # Scoped by user: two users choosing the same key get two different invoices.
    return uuid.uuid5(_INVOICE_NAMESPACE, f"{user_id}:{key}")


def uploaded_event_id(invoice_id: uuid.UUID) -> str:
    """An invoice is uploaded once, so its InvoiceUploaded event id follows from its id."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{invoice_id}:uploaded"))
