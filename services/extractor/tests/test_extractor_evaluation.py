"""The evaluation kit's entry into the extractor: make_extract for each provider."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from invoice_contracts.extraction import InvoiceData
from invoice_extractor.evaluation import make_extract

DATASET = Path(__file__).resolve().parents[3] / "eval" / "dataset"


def ground_truth(name: str) -> InvoiceData:
    return InvoiceData.model_validate_json((DATASET / f"{name}.expected.json").read_bytes())


async def test_the_offline_provider_reads_a_text_pdf_of_the_dataset() -> None:
    extract = make_extract("offline")
    try:
        data = await extract(
            (DATASET / "invoice-004.pdf").read_bytes(), "application/pdf", "invoice-004.pdf"
        )
    finally:
        extract.close()

    expected = ground_truth("invoice-004")
    assert isinstance(data, InvoiceData)
    assert data.invoice_number == expected.invoice_number
    assert data.currency == expected.currency
    assert data.total == expected.total


@pytest.mark.infra
async def test_the_openai_provider_reads_the_fake_servers_ground_truth(tmp_path: Path) -> None:
    for name in ("invoice-004.pdf", "invoice-004.expected.json", "invoice-005.png"):
        shutil.copy(DATASET / name, tmp_path / name)
    shutil.copy(DATASET / "invoice-005.expected.json", tmp_path / "invoice-005.expected.json")
    extract = make_extract("openai", answers_from=str(tmp_path))
    try:
        pdf = await extract(
            (tmp_path / "invoice-004.pdf").read_bytes(), "application/pdf", "invoice-004.pdf"
        )
        png = await extract((tmp_path / "invoice-005.png").read_bytes(), "image/png", "x.png")
    finally:
        extract.close()

    assert pdf == ground_truth("invoice-004")
    assert png == ground_truth("invoice-005")


def test_the_fake_server_needs_the_ground_truth_to_answer_with() -> None:
    with pytest.raises(ValueError, match="answers_from"):
        make_extract("openai")


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="offline or openai"):
        make_extract("tesseract")
