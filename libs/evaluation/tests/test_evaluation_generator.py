from __future__ import annotations

import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from invoice_contracts.extraction import InvoiceData
from invoice_evaluation.documents import EXPECTED_SUFFIX, DocumentKind, detect_kind
from invoice_evaluation.generate import expected_json, write_dataset
from invoice_evaluation.synthesis import (
    SyntheticInvoice,
    Template,
    iban_check_digits,
    synthesize_dataset,
    to_cents,
)
from PIL import Image

COMMITTED_COUNT, COMMITTED_SEED = 36, 7


def _ground_truths(folder: Path) -> dict[str, InvoiceData]:
    return {
        path.name.removesuffix(EXPECTED_SUFFIX): InvoiceData.model_validate_json(path.read_text())
        for path in sorted(folder.glob("*" + EXPECTED_SUFFIX))
    }


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as document:
        return " ".join((page.extract_text() or "") for page in document.pages)


def _manifest(folder: Path) -> list[dict[str, str]]:
    documents: list[dict[str, str]] = json.loads((folder / "manifest.json").read_text())[
        "documents"
    ]
    return documents


def test_the_same_seed_gives_the_same_ground_truth() -> None:
    first = [expected_json(invoice) for invoice in synthesize_dataset(12, seed=5)]
    again = [expected_json(invoice) for invoice in synthesize_dataset(12, seed=5)]
    other = [expected_json(invoice) for invoice in synthesize_dataset(12, seed=6)]

    assert first == again
    assert first != other


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    write_dataset(tmp_path / "one", count=4, seed=21)
    write_dataset(tmp_path / "two", count=4, seed=21)

    # README.md and manifest.json name the output folder, which differs here by design.
    one = {path.name: path.read_bytes() for path in (tmp_path / "one").glob("invoice-*")}
    two = {path.name: path.read_bytes() for path in (tmp_path / "two").glob("invoice-*")}
    assert len(one) == 8
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


def test_rewriting_with_fewer_invoices_removes_the_stale_ones(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=5, seed=2)
    (tmp_path / "notes.txt").write_text("kept")

    write_dataset(tmp_path, count=4, seed=2)

    assert not list(tmp_path.glob("invoice-005*"))
    assert (tmp_path / "notes.txt").exists()
    assert len(list(tmp_path.glob("*" + EXPECTED_SUFFIX))) == 4


def test_the_committed_dataset_is_what_the_generator_makes(committed_dataset: Path) -> None:
    invoices = synthesize_dataset(COMMITTED_COUNT, COMMITTED_SEED)

    committed = sorted(path.name for path in committed_dataset.glob("invoice-*"))
    made = sorted(
        name
        for invoice in invoices
        for name in (invoice.plan.file_name, invoice.plan.name + EXPECTED_SUFFIX)
    )
    assert committed == made
    for invoice in invoices:
        expected = committed_dataset / (invoice.plan.name + EXPECTED_SUFFIX)
        assert expected.read_text() == expected_json(invoice), invoice.plan.name


def _assert_adds_up(name: str, data: InvoiceData) -> None:
    assert data.line_items, name
    for item in data.line_items:
        assert item.quantity is not None and item.unit_price is not None
        assert item.amount == to_cents(item.quantity * item.unit_price), name
    amounts = [item.amount or Decimal(0) for item in data.line_items]
    assert data.subtotal == sum(amounts, Decimal(0)), name

    for line in data.tax_breakdown:
        assert line.rate is not None and line.base is not None
        base = sum(
            (item.amount or Decimal(0) for item in data.line_items if item.tax_rate == line.rate),
            Decimal(0),
        )
        assert line.base == base, name
        assert line.amount == to_cents(line.base * line.rate / 100), name
    assert {line.rate for line in data.tax_breakdown} == {i.tax_rate for i in data.line_items}
    tax_amounts = [line.amount or Decimal(0) for line in data.tax_breakdown]
    assert data.tax_total == sum(tax_amounts, Decimal(0)), name

    assert data.subtotal is not None and data.tax_total is not None
    assert data.total == data.subtotal + data.tax_total, name
    assert data.amount_due == data.total - (data.amount_paid or Decimal(0)), name
    for amount in [data.subtotal, data.tax_total, data.total, *amounts, *tax_amounts]:
        assert amount == amount.quantize(Decimal("0.01")), name


def test_every_ground_truth_is_invoice_data_and_adds_up(committed_dataset: Path) -> None:
    truths = _ground_truths(committed_dataset)

    assert len(truths) == COMMITTED_COUNT
    for name, data in truths.items():
        _assert_adds_up(name, data)
        assert data.issue_date is not None and data.due_date is not None
        assert data.due_date >= data.issue_date, name


def test_every_account_is_an_iban_with_valid_check_digits_outside_the_us(
    committed_dataset: Path,
) -> None:
    for name, data in _ground_truths(committed_dataset).items():
        assert data.payment is not None and data.payment.iban is not None
        iban = data.payment.iban.replace(" ", "")
        if data.currency == "USD":
            assert iban.isdigit(), name
            continue
        assert iban[2:4] == iban_check_digits(iban[:2], iban[4:]), name


def test_text_pdfs_carry_their_invoice_number_and_scans_carry_no_text(
    committed_dataset: Path,
) -> None:
    truths = _ground_truths(committed_dataset)

    for entry in _manifest(committed_dataset):
        path = committed_dataset / entry["file"]
        name = path.stem
        if entry["kind"] == DocumentKind.TEXT_PDF:
            invoice_number = truths[name].invoice_number
            assert invoice_number is not None and invoice_number in _pdf_text(path), name
        elif entry["kind"] == DocumentKind.SCANNED_PDF:
            with pdfplumber.open(path) as document:
                assert [page.chars for page in document.pages] == [[]], name
        assert detect_kind(path.read_bytes()) == entry["kind"], name


def _printed_values(invoice: SyntheticInvoice) -> list[str]:
    data, fmt = invoice.data, invoice.plan.formatter
    assert data.vendor and data.customer and data.payment and data.issue_date
    assert data.total is not None
    texts = [
        data.vendor.name,
        data.vendor.tax_id,
        data.vendor.email,
        data.vendor.phone,
        data.customer.name,
        data.customer.tax_id,
        data.purchase_order,
        data.payment.iban,
        data.payment.bic,
        data.payment.terms,
        data.payment.reference,
        fmt.date(data.issue_date),
        fmt.money(data.total),
        *invoice.extras.vendor_address_lines,
        *invoice.extras.customer_address_lines,
    ]
    texts += [item.description for item in data.line_items]
    return [" ".join(text.split()) for text in texts if text]


def test_text_pdfs_print_every_value_of_their_ground_truth(committed_dataset: Path) -> None:
    for invoice in synthesize_dataset(COMMITTED_COUNT, COMMITTED_SEED):
        if invoice.plan.kind is not DocumentKind.TEXT_PDF:
            continue
        text = " ".join(_pdf_text(committed_dataset / invoice.plan.file_name).split())
        missing = [value for value in _printed_values(invoice) if value not in text]
        assert missing == [], invoice.plan.file_name


def test_the_dataset_mixes_kinds_layouts_languages_and_formats(committed_dataset: Path) -> None:
    entries = _manifest(committed_dataset)

    kinds = Counter(entry["kind"] for entry in entries)
    assert kinds == {"text_pdf": 18, "scanned_pdf": 9, "png": 9}
    assert {entry["template"] for entry in entries} == {t.value for t in Template}
    assert {entry["locale"][:2] for entry in entries} >= {"en", "de", "fr"}
    assert {entry["currency"] for entry in entries} >= {"EUR", "USD", "GBP", "CHF"}
    assert {entry["number_style"] for entry in entries} == {
        "1,234.56",
        "1.234,56",
        "1 234,56",
        "1'234.56",
    }
    assert {entry["date_style"] for entry in entries} >= {
        "2024-03-05",
        "05.03.2024",
        "05/03/2024",
        "03/05/2024",
        "5 March 2024",
        "5. März 2024",
    }
    assert {entry["currency_display"] for entry in entries} == {"symbol", "code"}
    assert {len(data.line_items) for data in _ground_truths(committed_dataset).values()} >= {1, 8}


def test_scans_are_grayscale_images_of_about_150_dpi(committed_dataset: Path) -> None:
    for entry in _manifest(committed_dataset):
        if entry["kind"] != DocumentKind.PNG:
            continue
        with Image.open(committed_dataset / entry["file"]) as image:
            assert image.mode == "L"
            assert round(image.info["dpi"][0]) == 150
            if entry["template"] != Template.RECEIPT:
                assert image.size == pytest.approx((1240, 1754), abs=2)


def test_the_dataset_stays_under_eight_megabytes(committed_dataset: Path) -> None:
    size = sum(path.stat().st_size for path in committed_dataset.iterdir())

    assert size < 8 * 1024 * 1024


def test_a_small_generated_dataset_has_each_kind_in_its_share(small_dataset: Path) -> None:
    kinds = Counter(
        detect_kind(path.read_bytes())
        for path in small_dataset.iterdir()
        if path.suffix in (".pdf", ".png")
    )

    assert kinds == {DocumentKind.TEXT_PDF: 4, DocumentKind.SCANNED_PDF: 2, DocumentKind.PNG: 2}
    for path in small_dataset.glob("*.pdf"):
        with pdfplumber.open(io.BytesIO(path.read_bytes())) as document:
            assert len(document.pages) == 1
