from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoice_contracts.extraction import InvoiceData, LineItem, Party, Payment
from invoice_evaluation.documents import DocumentKind
from invoice_evaluation.scoring import (
    CORE_FIELDS,
    DocumentPair,
    Tally,
    fields_to_score,
    score_dataset,
    score_invoice,
)


def _invoice(**changes: object) -> InvoiceData:
    invoice = InvoiceData(
        invoice_number="RE-2024-0042",
        issue_date=date(2024, 3, 5),
        due_date=date(2024, 4, 4),
        currency="EUR",
        language="de",
        vendor=Party(
            name="Bergmann Technik GmbH",
            address="Hauptstraße 12, 10115 Berlin",
            tax_id="DE123456789",
        ),
        customer=Party(name="Vogel Medien KG", address="Gartenweg 3, 50667 Köln"),
        subtotal=Decimal("150.00"),
        tax_total=Decimal("28.50"),
        total=Decimal("178.50"),
        amount_due=Decimal("178.50"),
        line_items=[
            LineItem(
                description="Beratungsleistung",
                quantity=Decimal("1"),
                unit_price=Decimal("100.00"),
                tax_rate=Decimal("19"),
                amount=Decimal("100.00"),
            ),
            LineItem(
                description="Webhosting",
                quantity=Decimal("2"),
                unit_price=Decimal("25.00"),
                tax_rate=Decimal("19"),
                amount=Decimal("50.00"),
            ),
        ],
        payment=Payment(iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
    )
    return invoice.model_copy(update=changes)


def test_an_exact_extraction_has_precision_and_recall_one() -> None:
    report = score_dataset([(_invoice(), _invoice())])

    assert report.overall.precision == 1.0
    assert report.overall.recall == 1.0
    assert report.overall.fp == report.overall.fn == 0
    assert all(tally.recall in (1.0, None) for tally in report.per_field.values())


def test_a_wrong_total_is_a_false_positive_and_a_false_negative_of_total_only() -> None:
    report = score_dataset([(_invoice(), _invoice(total=Decimal("187.50")))])

    assert report.tally("total") == Tally(tp=0, fp=1, fn=1)
    assert report.tally("total").precision == 0.0
    others = [tally for path, tally in report.per_field.items() if path != "total"]
    assert sum((tally.fp + tally.fn for tally in others), 0) == 0
    assert report.overall.fp == 1 and report.overall.fn == 1


def test_a_null_extraction_has_recall_zero_and_no_precision() -> None:
    report = score_dataset([(_invoice(), InvoiceData())])

    assert report.overall.recall == 0.0
    assert report.overall.tp == 0
    assert report.overall.precision is None
    assert report.tally("vendor.name") == Tally(fn=1)


def test_a_value_the_document_does_not_carry_costs_precision_only() -> None:
    report = score_dataset([(_invoice(), _invoice(purchase_order="PO-1"))])

    assert report.tally("purchase_order") == Tally(fp=1)
    assert report.overall.recall == 1.0
    assert report.overall.precision is not None and report.overall.precision < 1.0


def test_values_are_compared_as_their_type_wants() -> None:
    extracted = _invoice(
        invoice_number="  re-2024-0042 ",
        vendor=Party(
            name="BERGMANN  Technik\nGmbH",
            address="Hauptstraße 12\n10115 Berlin",
            tax_id="DE123456789",
        ),
        total=Decimal("178.5"),
        payment=Payment(iban="de89370400440532013000", bic="cobadeffxxx"),
    )

    tallies = score_invoice(_invoice(), extracted)

    for path in (
        "invoice_number",
        "vendor.name",
        "vendor.address",
        "total",
        "payment.iban",
        "payment.bic",
    ):
        assert tallies[path] == Tally(tp=1), path


def test_a_date_must_match_exactly() -> None:
    tallies = score_invoice(_invoice(), _invoice(issue_date=date(2024, 5, 3)))

    assert tallies["issue_date"] == Tally(fp=1, fn=1)


def test_line_items_are_paired_by_best_match_not_only_by_position() -> None:
    expected = _invoice()
    reordered = _invoice(line_items=list(reversed(expected.line_items)))

    tallies = score_invoice(expected, reordered)

    assert tallies["line_items.count"] == Tally(tp=1)
    assert tallies["line_items.amount"] == Tally(tp=2)
    assert tallies["line_items.description"] == Tally(tp=2)


def test_a_missing_line_item_costs_recall_and_an_extra_one_precision() -> None:
    expected = _invoice()
    first_only = _invoice(line_items=expected.line_items[:1])
    with_extra = _invoice(
        line_items=[*expected.line_items, LineItem(description="Porto", amount=Decimal("5.00"))]
    )

    missing = score_invoice(expected, first_only)
    extra = score_invoice(expected, with_extra)

    assert missing["line_items.count"] == Tally(fp=1, fn=1)
    assert missing["line_items.amount"] == Tally(tp=1, fn=1)
    assert extra["line_items.amount"] == Tally(tp=2, fp=1)


def test_fields_the_ground_truth_fills_are_scored_besides_the_core_ones() -> None:
    fields = fields_to_score([_invoice()])

    assert fields[: len(CORE_FIELDS)] == CORE_FIELDS
    assert {"vendor.address", "customer.address", "line_items.description"} <= set(fields)
    assert "service_period.start" not in fields


def test_the_report_gives_figures_per_field_overall_and_per_document_kind() -> None:
    pairs = [
        DocumentPair("a.pdf", _invoice(), _invoice(), DocumentKind.TEXT_PDF),
        DocumentPair("b.pdf", _invoice(), _invoice(total=None), DocumentKind.SCANNED_PDF),
        DocumentPair("c.png", _invoice(), None, DocumentKind.PNG, failure="TimeoutError: slow"),
    ]

    report = score_dataset(pairs)
    table = report.to_table()

    kinds = report.by_kind
    assert kinds[DocumentKind.TEXT_PDF][1].recall == 1.0
    assert kinds[DocumentKind.PNG][1].recall == 0.0
    assert report.tally("total") == Tally(tp=1, fn=2)
    assert report.failures == [("c.png", "TimeoutError: slow")]
    lines = table.splitlines()
    assert lines[0].split() == ["field", "precision", "recall", "support", "tp", "fp", "fn"]
    total_line = next(line for line in lines if line.startswith("total "))
    assert total_line.split()[1:4] == ["1.000", "0.333", "3"]
    assert len({len(line) for line in lines[:-2] if not line.startswith("-")}) == 1
    for label in (
        "overall (micro)",
        "text PDF (1 document)",
        "scanned PDF (1 document)",
        "PNG (1 document)",
        "c.png: TimeoutError: slow",
    ):
        assert label in table
    assert report.to_dict()["by_kind"]["png"]["recall"] == 0.0
