import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from invoice_query.domain.cursor import Cursor, InvalidCursor, decode_cursor, encode_cursor


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 1, 9, 0, 0, 123456, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_cursor_comes_back_exactly(moment):
    cursor = Cursor(uploaded_at=moment, invoice_id=uuid.uuid4())

    text = encode_cursor(cursor)

    assert decode_cursor(text) == cursor
    assert decoded_is_url_safe(text)


def decoded_is_url_safe(text: str) -> bool:
    return all(c.isalnum() or c in "-_" for c in text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all!",
        "x" * 201,
        b64(b"not json"),
        b64(b"[1, 2]"),
        b64(b'{"u": "2024-05-01T09:00:00+00:00"}'),
        b64(b'{"u": "yesterday", "i": "0b5f1c2e-0000-4000-8000-000000000000"}'),
        b64(b'{"u": "2024-05-01T09:00:00+00:00", "i": "not-a-uuid"}'),
        b64(b'{"u": "2024-05-01T09:00:00", "i": "0b5f1c2e-0000-4000-8000-000000000000"}'),
        b64(b'{"u": 17, "i": "0b5f1c2e-0000-4000-8000-000000000000"}'),
        b64(b"\xff\xfe"),
    ],
)
def test_a_malformed_cursor_is_refused(text):
    with pytest.raises(InvalidCursor):
        decode_cursor(text)
