import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from invoice_contracts.events import (
    InvoiceExtracted,
    InvoiceExtractedData,
    InvoiceUploaded,
    InvoiceUploadedData,
    parse_event,
)
from invoice_contracts.extraction import Extraction, InvoiceData, invoice_data_json_schema
from invoice_contracts.published import SCHEMAS_DIR, published_documents
from pydantic import ValidationError


def _objects(schema: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found.extend(_objects(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_objects(value))
    return found


def test_committed_schemas_match_the_models():
    for name, text in published_documents().items():
        committed = SCHEMAS_DIR / name
        assert committed.exists(), f"run: uv run python -m invoice_contracts.published ({name})"
        assert committed.read_text() == text, (
            f"{name} is out of date: run uv run python -m invoice_contracts.published"
        )


def test_llm_schema_is_strict_everywhere():
    objects = _objects(invoice_data_json_schema())
    assert len(objects) >= 6
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])


def test_frontend_schema_is_the_llm_schema():
    committed = json.loads((SCHEMAS_DIR / "invoice-data.strict.json").read_text())
    committed.pop("$schema")
    assert committed == invoice_data_json_schema()


def test_amounts_are_exact_and_blank_text_is_null():
    data = InvoiceData.model_validate({"total": "1234.10", "invoice_number": "  "})
    assert data.total == Decimal("1234.10")
    assert data.invoice_number is None
    assert json.loads(data.model_dump_json())["total"] == "1234.10"
    with pytest.raises(ValidationError):
        InvoiceData.model_validate({"total": 12.3})


def test_every_field_of_the_llm_output_validates_as_invoice_data():
    # A full answer in the strict shape: what the LLM must produce, the model must accept.
    answer = {name: None for name in invoice_data_json_schema()["properties"]} | {
        "tax_breakdown": [],
        "line_items": [],
        "currency": "EUR",
        "total": "10.00",
    }
    assert InvoiceData.model_validate(answer).currency == "EUR"


def test_events_round_trip_through_their_json():
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    uploaded = InvoiceUploaded(
        source="/invoice-backend/ingest",
        subject=str(invoice_id),
        userid=str(user_id),
        data=InvoiceUploadedData(
            invoice_id=invoice_id,
            user_id=user_id,
            object_key="users/x/invoices/y/original",
            file_name="a.pdf",
            content_type="application/pdf",
            size_bytes=10,
            sha256="a" * 64,
        ),
    )
    assert parse_event(uploaded.model_dump_json()) == uploaded
    assert uploaded.nats_subject == f"invoices.{invoice_id}.uploaded"
    extracted = InvoiceExtracted(
        source="/invoice-backend/extractor",
        subject=str(invoice_id),
        userid=str(user_id),
        data=InvoiceExtractedData(
            invoice_id=invoice_id,
            user_id=user_id,
            extraction=Extraction(
                data=InvoiceData(total=Decimal("99.95")),
                provider="offline",
                model="offline-pdf-text",
                duration_ms=5,
            ),
        ),
    )
    parsed = parse_event(extracted.model_dump_json())
    assert isinstance(parsed, InvoiceExtracted)
    assert parsed.data.extraction.data.total == Decimal("99.95")


def test_an_event_with_unknown_fields_is_refused():
    document = json.loads(
        InvoiceUploaded(
            source="s",
            subject="i",
            userid="u",
            data=InvoiceUploadedData(
                invoice_id=uuid.uuid4(),
                user_id=uuid.uuid4(),
                object_key="k",
                file_name="f.png",
                content_type="image/png",
                size_bytes=1,
                sha256="b" * 64,
            ),
        ).model_dump_json()
    )
    document["data"]["api_key"] = "sk-secret"
    with pytest.raises(ValidationError):
        parse_event(json.dumps(document))
