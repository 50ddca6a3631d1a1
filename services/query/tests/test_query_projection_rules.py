import itertools
import uuid
from decimal import Decimal

import pytest
from invoice_query.domain.projection import ForeignInvoiceEvent, apply_event, summary_total
from query_testkit import BASE_TIME, extracted, extraction_failed, uploaded


def replay(events_with_sequences):
    record = None
    for event, sequence in events_with_sequences:
        record = apply_event(record, event, sequence)
    return record


def test_an_upload_makes_a_processing_invoice_with_its_file():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = uploaded(invoice_id, user_id, file_name="march.pdf")

    record = apply_event(None, event, 7)

    assert record.status == "processing"
    assert record.user_id == user_id
    assert record.file_name == "march.pdf"
    assert record.sha256 == event.data.sha256
    assert record.object_key == event.data.object_key
    assert record.uploaded_at == BASE_TIME
    assert record.updated_at == BASE_TIME
    assert record.last_event_sequence == 7
    assert record.extraction is None and record.failure_code is None


def test_an_extraction_fills_the_summary_and_keeps_amounts_exact():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = extracted(invoice_id, user_id, vendor="Acme", invoice_number="A-17", total="1234.5678")

    record = replay([(uploaded(invoice_id, user_id), 1), (event, 2)])

    assert record.status == "extracted"
    assert record.vendor_name == "Acme"
    assert record.invoice_number == "A-17"
    assert str(record.issue_date) == "2024-04-30"
    assert record.total == Decimal("1234.5678")
    assert record.currency == "EUR"
    assert record.extraction["data"]["total"] == "1234.5678"
    assert record.extraction["cost_usd"] == "0.000123"
    assert record.updated_at == event.time
    assert record.last_event_sequence == 2


def test_a_failure_sets_status_and_failure_columns():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()

    record = replay(
        [(uploaded(invoice_id, user_id), 3), (extraction_failed(invoice_id, user_id), 9)]
    )

    assert record.status == "failed"
    assert (record.failure_code, record.failure_attempts) == ("unreadable_file", 3)
    assert record.failure_reason.startswith("The file has no readable text")
    assert record.file_name == "invoice.pdf"


def test_a_late_upload_fills_the_file_but_keeps_the_extracted_status():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    upload = uploaded(invoice_id, user_id, file_name="late.pdf")
    extraction = extracted(invoice_id, user_id)

    record = replay([(extraction, 11), (upload, 10)])

    assert record.status == "extracted"
    assert record.file_name == "late.pdf"
    assert record.uploaded_at == upload.time
    assert record.updated_at == extraction.time
    assert record.last_event_sequence == 11


def test_the_same_event_applied_again_changes_nothing():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    first = replay([(uploaded(invoice_id, user_id), 1), (extracted(invoice_id, user_id), 2)])

    again = apply_event(first, extracted(invoice_id, user_id, vendor="Other"), 2)

    assert again == first


def test_any_order_of_the_same_events_gives_the_same_record():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    events = [
        (uploaded(invoice_id, user_id), 4),
        (extracted(invoice_id, user_id), 8),
        (extraction_failed(invoice_id, user_id), 15),
    ]

    outcomes = {repr(replay(order)) for order in itertools.permutations(events)}

    assert len(outcomes) == 1
    assert replay(events).status == "failed"


def test_an_event_of_another_user_is_refused():
    invoice_id = uuid.uuid4()
    record = apply_event(None, uploaded(invoice_id, uuid.uuid4()), 1)

    with pytest.raises(ForeignInvoiceEvent):
        apply_event(record, extracted(invoice_id, uuid.uuid4()), 2)


def test_an_extraction_without_vendor_or_total_leaves_those_columns_empty():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = extracted(invoice_id, user_id, vendor=None, total=None, currency=None)

    record = apply_event(None, event, 1)

    assert (record.vendor_name, record.total, record.currency) == (None, None, None)
    assert record.extraction["data"]["total"] is None


@pytest.mark.parametrize(
    ("amount", "column"),
    [
        ("119.00", Decimal("119.0000")),
        ("-5", Decimal("-5.0000")),
        ("0.00005", Decimal("0.0000")),
        ("0.00015", Decimal("0.0002")),
        ("99999999999999.9999", Decimal("99999999999999.9999")),
        ("100000000000000", None),
        ("1E+40", None),
    ],
)
def test_the_summary_total_fits_numeric_18_4_or_is_left_empty(amount, column):
    assert summary_total(Decimal(amount)) == column


def test_sequences_start_at_one():
    with pytest.raises(ValueError, match="start at 1"):
        apply_event(None, uploaded(uuid.uuid4(), uuid.uuid4()), 0)
