"""Keyset pagination cursors: the position after the last invoice of a page.

A cursor is opaque to clients: URL-safe base64 of a small JSON document holding the upload time
and the invoice id of the last item shown. Pages are ordered by (uploaded_at, invoice_id)
descending, so the next page is everything strictly below that pair, which stays correct while
new invoices arrive (unlike offsets).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

MAX_CURSOR_LENGTH = 200


class InvalidCursor(ValueError):
    """The cursor was not made by this service, or was changed."""


@dataclass(frozen=True)
class Cursor:
    uploaded_at: datetime
    invoice_id: uuid.UUID


def encode_cursor(cursor: Cursor) -> str:
    document = {"u": cursor.uploaded_at.isoformat(), "i": str(cursor.invoice_id)}
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> Cursor:
    if not text or len(text) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("the cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        document = json.loads(raw)
        uploaded_at = datetime.fromisoformat(document["u"])
        invoice_id = uuid.UUID(document["i"])
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor("the cursor is not one this service gave out") from exc
    if uploaded_at.tzinfo is None:
        raise InvalidCursor("the cursor is not one this service gave out")
    return Cursor(uploaded_at=uploaded_at, invoice_id=invoice_id)
