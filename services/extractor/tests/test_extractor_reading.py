"""The offline field reader: item tables, totals, parties and bank details in three languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from extractor_documents import table_invoice, valid_iban
from invoice_extractor.adapters.offline_provider import OfflineProvider
from invoice_extractor.domain.layout import Word, lines_from_words, words_from_boxes
from invoice_extractor.domain.model import Document, UserExtractionSettings
from invoice_extractor.domain.text_reading import iban_is_valid, read_invoice_text

NO_KEY = UserExtractionSettings()


@pytest.fixture(scope="module")
def provider():  # type: ignore[no-untyped-def]
    offline = OfflineProvider(timeout_seconds=20.0, max_threads=2)
    yield offline
    offline.close()


async def read_table_invoice(provider: OfflineProvider, language: str):  # type: ignore[no-untyped-def]
    document = Document(table_invoice(language), "application/pdf", "invoice.pdf")
    return await provider.extract(document, NO_KEY)


def items_of(data) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return [
        (item.description, item.quantity, item.unit, item.unit_price, item.tax_rate, item.amount)
        for item in data.line_items
    ]


async def test_an_english_table_invoice_is_read_whole(provider: OfflineProvider) -> None:
    result = await read_table_invoice(provider, "en")

    data = result.data
    assert (data.invoice_number, data.purchase_order) == ("BF-2024-311", "PO-7781")
    assert (data.issue_date, data.due_date) == (date(2024, 6, 14), date(2024, 7, 14))
    assert (data.currency, data.language) == ("GBP", "en")
    assert data.vendor is not None and data.vendor.name == "Bramble & Finch Ltd"
    assert data.vendor.address == "14 Orchard Row, Bath BA1 2QT"
    assert (data.vendor.tax_id, data.vendor.phone) == ("GB123456782", "+44 1225 555 010")
    assert data.customer is not None and data.customer.name == "Kestrel Garden Supplies"
    assert data.customer.address == "3 Mill Lane, Bristol BS1 5TR"
    assert items_of(data) == [
        ("Garden design consultation", 3, None, Decimal("120.00"), 20, Decimal("360.00")),
        ("Oak planter, large", 2, None, Decimal("89.50"), 20, Decimal("179.00")),
        ("Delivery", 1, None, Decimal("25.00"), 20, Decimal("25.00")),
    ]
    assert (data.subtotal, data.tax_total, data.total, data.amount_due) == (
        Decimal("564.00"),
        Decimal("112.80"),
        Decimal("676.80"),
        Decimal("676.80"),
    )
    assert [(line.rate, line.amount) for line in data.tax_breakdown] == [(20, Decimal("112.80"))]
    assert data.payment is not None and data.payment.terms == "30 days net"
    assert data.payment.iban == valid_iban("GB", "BRFN40051512345678")
    assert data.payment.bic == "BRFNGB2L"
    assert result.model == "offline-pdf-text"


async def test_a_german_table_invoice_is_read_whole(provider: OfflineProvider) -> None:
    data = (await read_table_invoice(provider, "de")).data

    assert data.invoice_number == "RW-24-0815"
    assert (data.issue_date, data.due_date) == (date(2024, 7, 3), date(2024, 8, 2))
    assert (data.currency, data.language) == ("EUR", "de")
    assert data.vendor is not None and data.vendor.name == "Lindwurm Werkzeuge GmbH"
    assert (data.vendor.address, data.vendor.tax_id) == (
        "Ringstraße 9, 90402 Nürnberg",
        "DE812345678",
    )
    assert data.customer is not None and data.customer.name == "Tischlerei Auer"
    assert items_of(data) == [
        ("Akkuschrauber 18 V", 2, "Stk.", Decimal("149.90"), 19, Decimal("299.80")),
        ("Schleifpapier (50er Pack)", 4, "Pck.", Decimal("12.45"), 19, Decimal("49.80")),
        ("Einweisung vor Ort", Decimal("1.5"), "Std.", Decimal("80.00"), 19, Decimal("120.00")),
    ]
    assert (data.subtotal, data.tax_total, data.total) == (
        Decimal("469.60"),
        Decimal("89.22"),
        Decimal("558.82"),
    )
    assert data.payment is not None and data.payment.terms == "30 Tage netto"


async def test_a_french_table_invoice_is_read_whole(provider: OfflineProvider) -> None:
    data = (await read_table_invoice(provider, "fr")).data

    assert data.invoice_number == "FA-2024-118"
    assert (data.issue_date, data.due_date) == (date(2024, 5, 21), date(2024, 6, 20))
    assert (data.currency, data.language) == ("EUR", "fr")
    assert data.vendor is not None and data.vendor.name == "Atelier Lumière SARL"
    assert data.vendor.tax_id == "FR12345678901"
    assert data.customer is not None and data.customer.name == "Boulangerie Martin"
    assert data.customer.address == "5 place du Marché, 38000 Grenoble"
    assert items_of(data) == [
        ("Lampe de bureau laiton", 2, None, Decimal("145.00"), 20, Decimal("290.00")),
        ("Abat-jour sur mesure", 1, None, Decimal("60.50"), 20, Decimal("60.50")),
    ]
    # "Total HT" is the net amount and "Total TTC" the gross one.
    assert (data.subtotal, data.tax_total, data.total, data.amount_due) == (
        Decimal("350.50"),
        Decimal("70.10"),
        Decimal("420.60"),
        Decimal("420.60"),
    )
    assert data.payment is not None and data.payment.bic == "ATLUFRPPXXX"


async def test_amounts_that_add_up_are_more_confident_than_labels_alone(
    provider: OfflineProvider,
) -> None:
    confidence = (await read_table_invoice(provider, "de")).confidence

    assert confidence["total"] > confidence["invoice_number"]
    assert confidence["line_items"] == confidence["subtotal"] == confidence["total"]
    assert confidence["payment.iban"] > confidence["payment.bic"]
    assert all(0 < value <= 1 for value in confidence.values())


def test_labels_in_a_row_over_their_values_are_read_column_by_column() -> None:
    reading = read_invoice_text(
        "Northgate Print Co\n"
        "Invoice no.    Invoice date    Due date      Order no.\n"
        "NP-88          2024-02-01      2024-03-02    77120\n"
    )

    data = reading.data
    assert (data.invoice_number, data.purchase_order) == ("NP-88", "77120")
    assert (data.issue_date, data.due_date) == (date(2024, 2, 1), date(2024, 3, 2))


def test_receipt_entries_are_read_as_line_items() -> None:
    reading = read_invoice_text(
        "Corner Café\n"
        "Receipt\n"
        "----------------------------\n"
        "Flat white\n"
        "2 x 3.40  20%       6.80\n"
        "Almond croissant\n"
        "1 x 2.95  20%       2.95\n"
        "----------------------------\n"
        "Total              EUR 9.75\n"
    )

    items = reading.data.line_items
    assert [(item.description, item.quantity, item.amount) for item in items] == [
        ("Flat white", 2, Decimal("6.80")),
        ("Almond croissant", 1, Decimal("2.95")),
    ]
    assert reading.data.total == Decimal("9.75")
    assert reading.data.currency == "EUR"


def test_a_tax_summary_table_gives_one_tax_line_per_rate() -> None:
    reading = read_invoice_text(
        "Satz    Netto      USt.       Nettobetrag     1.100,00 EUR\n"
        "19 %    1.000,00   190,00     USt. gesamt       197,00 EUR\n"
        "7 %     100,00     7,00       Gesamtbetrag    1.297,00 EUR\n"
    )

    data = reading.data
    assert [(line.rate, line.base, line.amount) for line in data.tax_breakdown] == [
        (19, Decimal("1000.00"), Decimal("190.00")),
        (7, Decimal("100.00"), Decimal("7.00")),
    ]
    assert (data.subtotal, data.tax_total, data.total) == (
        Decimal("1100.00"),
        Decimal("197.00"),
        Decimal("1297.00"),
    )


def test_without_a_tax_total_the_tax_lines_are_added_up() -> None:
    reading = read_invoice_text(
        "Subtotal                  USD 300.00\n"
        "Tax 10% on 200.00          USD 20.00\n"
        "Tax 5% on 100.00            USD 5.00\n"
        "Total                     USD 325.00\n"
    )

    assert reading.data.tax_total == Decimal("25.00")
    assert [line.base for line in reading.data.tax_breakdown] == [Decimal(200), Decimal(100)]


def test_a_deposit_is_read_as_amount_paid_and_explains_the_amount_due() -> None:
    reading = read_invoice_text(
        "Gesamtbetrag          1.000,00 €\n"
        "abzüglich Anzahlung    -400,00 €\n"
        "Zahlbetrag             600,00 €\n"
    )

    assert reading.data.amount_paid == Decimal("400.00")
    assert reading.data.amount_due == Decimal("600.00")
    assert reading.confidence["amount_due"] > 0.8


def test_running_text_mentioning_a_label_is_not_read_as_the_field() -> None:
    reading = read_invoice_text(
        "Please transfer the amount due of 99.00 by 2024-05-01.\nTotal   120.00\n"
    )

    assert reading.data.amount_due is None
    assert reading.data.total == Decimal("120.00")


def test_tax_ids_are_not_read_as_tax_amounts() -> None:
    reading = read_invoice_text("ACME\nUSt-IdNr.: DE123456789\nVAT number GB123456789\n")

    assert reading.data.tax_total is None
    assert reading.data.vendor is not None and reading.data.vendor.tax_id == "DE123456789"


def test_a_due_date_label_is_not_read_as_the_issue_date() -> None:
    reading = read_invoice_text("ACME\nInvoice #A-17\nDue date: 2024-05-01\n")

    assert reading.data.due_date == date(2024, 5, 1)
    assert reading.data.issue_date is None


def test_an_amount_on_the_line_below_its_label_is_found() -> None:
    reading = read_invoice_text("ACME\nAmount due\nEUR 1.500,00\n")

    assert reading.data.amount_due == Decimal("1500.00")
    assert reading.data.total == Decimal("1500.00")
    assert reading.data.currency == "EUR"


def test_a_letter_window_under_the_sender_line_is_the_customer() -> None:
    reading = read_invoice_text(
        "                                        Kranich Druck GmbH\n"
        "                                        Am Hafen 3\n"
        "                                        20457 Hamburg\n"
        "Kranich Druck GmbH · Am Hafen 3 · 20457 Hamburg      Rechnungsnr.   K-301\n"
        "Weber Verlag KG\n"
        "Lindenweg 12\n"
        "04109 Leipzig\n"
    )

    data = reading.data
    assert data.vendor is not None and data.vendor.name == "Kranich Druck GmbH"
    assert data.vendor.address == "Am Hafen 3, 20457 Hamburg"
    assert data.customer is not None and data.customer.name == "Weber Verlag KG"
    assert data.customer.address == "Lindenweg 12, 04109 Leipzig"
    assert data.invoice_number == "K-301"


def test_text_without_invoice_fields_yields_no_amounts() -> None:
    reading = read_invoice_text("Just a letter\nDear reader,\n")

    assert reading.data.total is None and reading.data.invoice_number is None


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        (valid_iban("DE", "370400440532013000"), True),
        ("DE89 3704 0044 0532 0130 01", False),
        ("CH93 0076 2011 6238 5295 7", True),
        ("GB00 NWBK 6016 1331 9268 19", False),
        ("not an iban", False),
    ],
)
def test_iban_check_digits_are_verified(iban: str, valid: bool) -> None:
    assert iban_is_valid(iban) is valid


def test_an_iban_with_wrong_check_digits_is_not_extracted() -> None:
    reading = read_invoice_text("Bank details\nIBAN: DE89 3704 0044 0532 0130 01\n")

    assert reading.data.payment is None or reading.data.payment.iban is None


def test_words_group_into_lines_by_vertical_overlap_and_cells_by_gaps() -> None:
    words = [
        Word("Total", 10, 40, 100, 110),
        Word("due", 43, 60, 101, 111),
        Word("12.00", 200, 230, 99, 109),
        Word("Next", 10, 35, 120, 130),
    ]

    lines = lines_from_words(words)

    assert [line.text for line in lines] == ["Total due\t12.00", "Next"]


def test_tilted_ocr_boxes_are_straightened_into_lines() -> None:
    # A page turned by about two degrees: the right end of a line sits a line's height lower.
    def box(x: float, y: float, width: float, text: str) -> tuple[list[tuple[float, float]], str]:
        drop = width * 0.035
        corners = [(x, y), (x + width, y + drop), (x + width, y + drop + 20), (x, y + 20)]
        return corners, text

    boxes = [
        box(0, 100, 140, "Invoice number"),
        box(700, 124.5, 30, "A-1"),
        box(0, 130, 120, "Invoice date"),
        box(700, 154.5, 100, "2024-01-02"),
    ]

    lines = lines_from_words(words_from_boxes(boxes))

    assert [line.text for line in lines] == ["Invoice number\tA-1", "Invoice date\t2024-01-02"]
