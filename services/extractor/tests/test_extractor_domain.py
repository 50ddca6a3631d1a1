"""Pure rules: amounts and dates in text, retry delays, prices, prompts, consistency checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from invoice_contracts.extraction import InvoiceData, LineItem, TokenUsage
from invoice_extractor.domain.backoff import redelivery_delay
from invoice_extractor.domain.checks import check_invoice
from invoice_extractor.domain.model import UserExtractionSettings
from invoice_extractor.domain.pricing import cost_usd
from invoice_extractor.domain.prompts import (
    DEFAULT_PROMPT,
    DEFAULT_PROMPT_VERSION,
    system_prompt_for,
)
from invoice_extractor.domain.text_reading import parse_amount, parse_date, read_invoice_text


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("1234,56", Decimal("1234.56")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("1'234.50", Decimal("1234.50")),
        ("12,5", Decimal("12.5")),
        ("-12.00", Decimal("-12.00")),
        ("1.234", Decimal("1234")),
        ("€ 99,90", Decimal("99.90")),
        ("$0.10", Decimal("0.10")),
        ("19%", None),
        ("no amount", None),
    ],
)
def test_amounts_are_parsed_exactly(text: str, amount: Decimal | None) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("05.03.2024", date(2024, 3, 5)),
        ("5.3.2024", date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        ("March 5, 2024", date(2024, 3, 5)),
        ("Mar 5th 2024", date(2024, 3, 5)),
        ("5 March 2024", date(2024, 3, 5)),
        ("5. März 2024", date(2024, 3, 5)),
        ("31.02.2024", None),
        ("sometime", None),
    ],
)
def test_dates_are_parsed_in_common_layouts(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_a_due_date_label_is_not_read_as_the_issue_date() -> None:
    reading = read_invoice_text("ACME\nInvoice #A-17\nDue date: 2024-05-01\n")

    assert reading.data.due_date == date(2024, 5, 1)
    assert reading.data.issue_date is None


def test_tax_ids_are_not_read_as_tax_amounts() -> None:
    reading = read_invoice_text("ACME\nUSt-IdNr.: DE123456789\nVAT number GB123456789\n")

    assert reading.data.tax_total is None


def test_an_amount_on_the_line_below_its_label_is_found() -> None:
    reading = read_invoice_text("ACME\nAmount due\nEUR 1.500,00\n")

    assert reading.data.amount_due == Decimal("1500.00")
    assert reading.data.total == Decimal("1500.00")
    assert reading.data.currency == "EUR"


def test_text_without_invoice_fields_yields_nothing_but_the_vendor_line() -> None:
    reading = read_invoice_text("Just a letter\nDear reader,\n")

    assert reading.data.total is None and reading.data.invoice_number is None


def test_retry_delays_double_per_delivery_up_to_the_cap() -> None:
    ceilings = [redelivery_delay(n, uniform=lambda: 1.0) for n in range(1, 9)]
    floors = [redelivery_delay(n, uniform=lambda: 0.0) for n in range(1, 9)]

    assert ceilings == [2, 4, 8, 16, 32, 60, 60, 60]
    assert floors == [1, 2, 4, 8, 16, 30, 30, 30]


def test_openai_cost_is_an_exact_decimal() -> None:
    usage = TokenUsage(input_tokens=1_234, output_tokens=567)

    assert cost_usd("gpt-4o-mini", usage) == Decimal("0.0005253")
    assert cost_usd("gpt-4o-mini-2024-07-18", usage) == Decimal("0.0005253")
    assert cost_usd("some-future-model", usage) is None


def test_the_default_prompt_is_versioned_and_a_custom_one_is_identified_by_hash() -> None:
    assert system_prompt_for(UserExtractionSettings()) == (DEFAULT_PROMPT, DEFAULT_PROMPT_VERSION)

    prompt, version = system_prompt_for(UserExtractionSettings(system_prompt="Be brief."))
    assert prompt == "Be brief."
    assert version.startswith("custom-") and len(version) == len("custom-") + 12
    assert system_prompt_for(UserExtractionSettings(system_prompt="Be brief."))[1] == version


def test_consistent_data_has_no_warnings() -> None:
    data = InvoiceData(
        subtotal=Decimal("100.00"),
        tax_total=Decimal("19.00"),
        total=Decimal("119.00"),
        line_items=[LineItem(amount=Decimal("60.00")), LineItem(amount=Decimal("40.00"))],
        issue_date=date(2024, 3, 1),
        due_date=date(2024, 3, 31),
    )

    assert check_invoice(data) == []


def test_inconsistent_data_gets_one_warning_per_problem() -> None:
    data = InvoiceData(
        subtotal=Decimal("100.00"),
        tax_total=Decimal("19.00"),
        total=Decimal("118.00"),
        line_items=[LineItem(amount=Decimal("60.00")), LineItem(amount=Decimal("41.00"))],
        issue_date=date(2024, 3, 31),
        due_date=date(2024, 3, 1),
    )

    codes = [warning.code for warning in check_invoice(data)]

    assert codes == ["line_items_mismatch", "totals_mismatch", "due_before_issue"]


def test_shipping_and_discount_may_explain_the_total() -> None:
    data = InvoiceData(
        subtotal=Decimal("100"),
        tax_total=Decimal("19"),
        shipping=Decimal("5"),
        discount_total=Decimal("10"),
        total=Decimal("114"),
    )

    assert check_invoice(data) == []
