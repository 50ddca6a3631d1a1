"""Normalization: amounts, dates, currencies, the document's locale and a model's loose answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from invoice_contracts.extraction import InvoiceData
from invoice_extractor.domain.normalize import (
    DocumentLocale,
    currency_code,
    detect_locale,
    find_amounts,
    normalize_answer,
    parse_amount,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("1\u2019234.56", "1234.56"),
        ("35,27", "35.27"),
        ("35.27", "35.27"),
        ("1234", "1234"),
        ("0,5", "0.5"),
        ("12.3456", "12.3456"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("(12.00)", "-12.00"),
        ("12.00-", "-12.00"),
        ("-12,00", "-12.00"),
        ("\u2212 7.50", "-7.50"),
        ("€ 1.234,56", "1234.56"),
        ("1,234.56 USD", "1234.56"),
        ("US$ 99.90", "99.90"),
        ("CHF -1'926.64", "-1926.64"),
        ("-$2,493.30", "-2493.30"),
        ("£8,629.53", "8629.53"),
        ("12,50 €", "12.50"),
        ("Fr. 45.00", "45.00"),
        ("4025,83.", "4025.83"),
        # Without a hint, a lone separator before three digits groups thousands.
        ("1,234", "1234"),
        ("1.234", "1234"),
        ("0,125", "0.125"),
    ],
)
def test_amounts_are_parsed_exactly(text: str, amount: str) -> None:
    parsed = parse_amount(text)

    assert parsed == Decimal(amount)
    assert str(parsed) == amount


@pytest.mark.parametrize(
    "text", ["19%", "no amount", "", "1,2,3", "12.00.00", "(12.00", "-12.00-", "2024-03-05"]
)
def test_what_is_not_one_amount_is_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "hint", "amount"),
    [
        ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"),
        ("1.234", ".", "1.234"),
        ("1.234", ",", "1234"),
        # A hint never overrides what the digits make plain.
        ("35.27", ",", "35.27"),
        ("1.234,56", ".", "1234.56"),
    ],
)
def test_the_document_decimal_separator_resolves_ambiguous_amounts(
    text: str, hint: str, amount: str
) -> None:
    assert parse_amount(text, decimal_hint=hint) == Decimal(amount)


def test_amounts_in_a_line_skip_percentages_and_join_space_grouping() -> None:
    found = find_amounts("zzgl. 20 % USt. auf 7 632,96  1 526,59 EUR")

    assert [amount.value for amount in found] == [Decimal("7632.96"), Decimal("1526.59")]
    assert all(amount.has_cents for amount in found)


def test_a_quantity_beside_a_price_is_not_taken_for_thousands_without_space_grouping() -> None:
    found = find_amounts("12 100,00", space_grouping=False)

    assert [amount.value for amount in found] == [Decimal(12), Decimal("100.00")]


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2024-03-05", None, date(2024, 3, 5)),
        ("2024/03/05", False, date(2024, 3, 5)),
        ("05.03.2024", None, date(2024, 3, 5)),
        ("5.3.24", None, date(2024, 3, 5)),
        ("05/03/2024", True, date(2024, 3, 5)),
        ("05/03/2024", False, date(2024, 5, 3)),
        ("03/05/24", False, date(2024, 3, 5)),
        ("13/05/2024", None, date(2024, 5, 13)),
        ("05/13/2024", None, date(2024, 5, 13)),
        ("05-03-2024", True, date(2024, 3, 5)),
        ("5 March 2024", None, date(2024, 3, 5)),
        ("5th March 2024", None, date(2024, 3, 5)),
        ("March 5, 2024", None, date(2024, 3, 5)),
        ("Mar 5th 2024", None, date(2024, 3, 5)),
        ("Sept. 30, 2023", None, date(2023, 9, 30)),
        ("5. März 2024", None, date(2024, 3, 5)),
        ("1. Dezember 2023", None, date(2023, 12, 1)),
        ("3. Jänner 2025", None, date(2025, 1, 3)),
        ("5 mars 2024", None, date(2024, 3, 5)),
        ("1er août 2024", None, date(2024, 8, 1)),
        ("17 décembre 2023", None, date(2023, 12, 17)),
        ("12 fevrier 2024", None, date(2024, 2, 12)),
        ("Invoice date: 14 Feb 2024", None, date(2024, 2, 14)),
    ],
)
def test_dates_are_read_in_english_german_and_french_layouts(
    text: str, day_first: bool | None, expected: date
) -> None:
    assert parse_date(text, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("text", "day_first"),
    [("05/03/2024", None), ("31.02.2024", None), ("13/13/2024", True), ("sometime", None)],
)
def test_ambiguous_or_impossible_dates_are_none(text: str, day_first: bool | None) -> None:
    assert parse_date(text, day_first=day_first) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("€", "EUR"),
        ("Total 12,00 €", "EUR"),
        ("£", "GBP"),
        ("$", "USD"),
        ("US$ 10", "USD"),
        ("CHF", "CHF"),
        ("Fr. 12.50", "CHF"),
        ("¥", "JPY"),
        ("eur", None),
        ("SEK", "SEK"),
        ("kr", None),
        ("250 kr, Sverige", "SEK"),
        ("Nkr 100", "NOK"),
        ("XYZ", None),
        ("Total", None),
    ],
)
def test_currencies_are_named_by_their_iso_code(text: str, code: str | None) -> None:
    assert currency_code(text) == code


def test_a_german_invoice_is_day_first_with_decimal_commas() -> None:
    text = (
        "Rechnung Nr. 4711\nRechnungsdatum 02.03.2024\nNettobetrag 1.200,00 EUR\n"
        "zzgl. 19 % MwSt. 228,00 EUR\nGesamtbetrag 1.428,00 EUR"
    )

    assert detect_locale(text) == DocumentLocale("de", True, ",")


def test_a_us_invoice_is_month_first() -> None:
    text = "INVOICE\nBill to: Acme Corp, Austin, TX 78701\nSubtotal $1,200.00\nSales tax $99.00"

    assert detect_locale(text) == DocumentLocale("en", False, ".")


def test_a_british_invoice_is_day_first() -> None:
    text = "Invoice\nVAT 20% £40.00\nTotal £240.00\nAmount due £240.00"

    assert detect_locale(text) == DocumentLocale("en", True, ".")


def test_a_french_invoice_is_read_as_french() -> None:
    text = "FACTURE\nDate de facture 03/04/2024\nTotal HT 1 000,00\nTVA 20 % 200,00\nNet à payer"

    locale = detect_locale(text)

    assert (locale.language, locale.day_first, locale.decimal_separator) == ("fr", True, ",")


def test_dates_printed_decide_the_order_over_the_country() -> None:
    text = "Invoice\nDate 03/25/2024\nVAT 20%\nTotal £10.00"

    assert detect_locale(text).day_first is False


def test_text_without_keywords_has_no_language() -> None:
    assert detect_locale("12345") == DocumentLocale()


def test_a_loose_model_answer_is_put_into_shape() -> None:
    raw = {
        "invoice_number": " INV-9 ",
        "purchase_order": "",
        "issue_date": "05.03.2024",
        "due_date": "April 4, 2024",
        "currency": "€",
        "language": "DE",
        "vendor": {"name": "Muster GmbH", "tax_id": "", "unexpected": "x"},
        "customer": "",
        "subtotal": "1.234,50",
        "tax_total": 234.56,
        "total": 1469.06,
        "amount_due": "1.469,06 €",
        "amount_paid": None,
        "discount_total": True,
        "tax_breakdown": [{"rate": "19%", "base": "1.234,50", "amount": "234,56"}],
        "line_items": [
            {"description": "Montage", "quantity": 12, "unit_price": "95,00", "amount": "1.140"},
            "not an item",
        ],
        "payment": {"iban": "DE89 3704 0044 0532 0130 00", "bic": ""},
        "notes": "a key InvoiceData does not know",
    }

    answer = normalize_answer(raw, locale=DocumentLocale("de", True, ","))
    data = InvoiceData.model_validate(answer)

    assert data.invoice_number == "INV-9" and data.purchase_order is None
    assert (data.issue_date, data.due_date) == (date(2024, 3, 5), date(2024, 4, 4))
    assert (data.currency, data.language) == ("EUR", "de")
    assert data.vendor is not None and data.vendor.name == "Muster GmbH"
    assert data.vendor.tax_id is None and data.customer is None
    assert (data.subtotal, data.tax_total, data.total) == (
        Decimal("1234.50"),
        Decimal("234.56"),
        Decimal("1469.06"),
    )
    assert data.amount_due == Decimal("1469.06") and data.discount_total is None
    assert data.tax_breakdown[0].rate == Decimal(19)
    # With decimal commas, "1.140" groups thousands.
    assert [item.amount for item in data.line_items] == [Decimal(1140)]
    assert data.line_items[0].quantity == Decimal(12)
    assert data.payment is not None and data.payment.bic is None
    assert "notes" not in answer


def test_unreadable_values_become_null_rather_than_failing_the_answer() -> None:
    answer = normalize_answer({"total": "about ten", "issue_date": "soon", "currency": "Taler"})

    assert answer == {"total": None, "issue_date": None, "currency": None}
    assert InvoiceData.model_validate(answer) == InvoiceData()


def test_a_float_keeps_the_digits_the_json_carried() -> None:
    assert normalize_answer({"total": 0.1 + 0.2, "subtotal": 19.99}) == {
        "total": "0.30000000000000004",
        "subtotal": "19.99",
    }


@pytest.mark.parametrize(
    ("raw", "issue_date", "total"),
    [
        (
            {"issue_date": "05/03/2024", "currency": "€", "total": "1.234,50"},
            "2024-03-05",
            "1234.50",
        ),
        (
            {"issue_date": "05/03/2024", "currency": "USD", "total": "1,234.50"},
            "2024-05-03",
            "1234.50",
        ),
        (
            {"issue_date": "05/03/2024", "language": "fr", "total": "1 234,50"},
            "2024-03-05",
            "1234.50",
        ),
        ({"issue_date": "05/03/2024", "total": "12,50"}, None, "12.50"),
    ],
)
def test_without_the_document_the_answer_itself_tells_its_conventions(
    raw: dict[str, str], issue_date: str | None, total: str
) -> None:
    answer = normalize_answer(raw)

    assert (answer["issue_date"], answer["total"]) == (issue_date, total)
