from __future__ import annotations

import uuid

import pytest
from invoice_ingest.domain.idempotency import (
    invoice_id_for_idempotency_key,
    is_valid_idempotency_key,
    uploaded_event_id,
)


def test_the_same_user_and_key_always_name_the_same_invoice() -> None:
    user_id = uuid.uuid4()

    first = invoice_id_for_idempotency_key(user_id, "upload-42")
    again = invoice_id_for_idempotency_key(user_id, "upload-42")

    assert first == again
    assert first.version == 5


def test_another_key_or_another_user_names_another_invoice() -> None:
    user_id = uuid.uuid4()
    invoice_id = invoice_id_for_idempotency_key(user_id, "upload-42")

    assert invoice_id_for_idempotency_key(user_id, "upload-43") != invoice_id
    assert invoice_id_for_idempotency_key(uuid.uuid4(), "upload-42") != invoice_id


def test_the_uploaded_event_id_follows_from_the_invoice_id() -> None:
    invoice_id = uuid.uuid4()

    assert uploaded_event_id(invoice_id) == uploaded_event_id(invoice_id)
    assert uploaded_event_id(invoice_id) != uploaded_event_id(uuid.uuid4())
    assert uuid.UUID(uploaded_event_id(invoice_id)) != invoice_id


@pytest.mark.parametrize("key", ["a", "9f1c7a4e-upload", "x" * 200, "with spaces ~!"])
def test_printable_keys_up_to_200_characters_are_accepted(key: str) -> None:
    assert is_valid_idempotency_key(key)


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there", "new\nline", "ключ", "\x7f"])
def test_empty_long_or_unprintable_keys_are_refused(key: str) -> None:
    assert not is_valid_idempotency_key(key)
