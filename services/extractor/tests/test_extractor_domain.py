"""Pure rules: retry delays, prices, prompts, consistency checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


def test_a_negative_quantity_is_a_warning_per_line_item() -> None:
    data = InvoiceData(
        line_items=[
            LineItem(quantity=Decimal(2), amount=Decimal("10.00")),
            LineItem(quantity=Decimal(-1), amount=Decimal("-5.00")),
        ]
    )

    warnings = check_invoice(data)

    assert [(w.code, w.message) for w in warnings] == [
        ("negative_quantity", "Line item 2 has a negative quantity (-1).")
    ]


def test_a_totals_warning_names_shipping_and_discounts() -> None:
    data = InvoiceData(
        subtotal=Decimal("100"),
        tax_total=Decimal("19"),
        shipping=Decimal("5"),
        discount_total=Decimal("10"),
        total=Decimal("120"),
    )

    [warning] = check_invoice(data)

    assert warning.code == "totals_mismatch"
    assert warning.message == (
        "Subtotal 100 plus tax 19 plus shipping 5 less discounts 10 is 114, but the total is 120."
    )


def test_shipping_and_discount_may_explain_the_total() -> None:
    data = InvoiceData(
        subtotal=Decimal("100"),
        tax_total=Decimal("19"),
        shipping=Decimal("5"),
        discount_total=Decimal("10"),
        total=Decimal("114"),
    )

    assert check_invoice(data) == []
