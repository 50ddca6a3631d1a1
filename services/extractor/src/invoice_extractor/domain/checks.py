"""Consistency checks on extracted data, reported as warnings the frontend can show."""

from __future__ import annotations

from decimal import Decimal

from invoice_contracts.extraction import ExtractionWarning, InvoiceData


def check_invoice(data: InvoiceData) -> list[ExtractionWarning]:
    warnings: list[ExtractionWarning] = []

    amounts = [item.amount for item in data.line_items]
    if data.subtotal is not None and amounts and all(a is not None for a in amounts):
        line_sum = sum((a for a in amounts if a is not None), Decimal(0))
        if line_sum != data.subtotal:
            warnings.append(
                ExtractionWarning(
                    code="line_items_mismatch",
                    message=f"The line items add up to {line_sum}, but the subtotal is "
                    f"{data.subtotal}.",
                )
            )

    if None not in (data.subtotal, data.tax_total, data.total):
        assert data.subtotal is not None and data.tax_total is not None
        plain = data.subtotal + data.tax_total
        adjusted = plain + (data.shipping or 0) - (data.discount_total or 0)
        if data.total not in (plain, adjusted):
            warnings.append(
                ExtractionWarning(
                    code="totals_mismatch",
                    message=f"Subtotal {data.subtotal} plus tax {data.tax_total}"
                    + (f" plus shipping {data.shipping}" if data.shipping else "")
                    + (f" less discounts {data.discount_total}" if data.discount_total else "")
                    + f" is {adjusted}, but the total is {data.total}.",
                )
            )

    if data.issue_date and data.due_date and data.due_date < data.issue_date:
        warnings.append(
            ExtractionWarning(
                code="due_before_issue",
                message=f"The due date {data.due_date} is before the issue date {data.issue_date}.",
            )
        )

    for position, item in enumerate(data.line_items, start=1):
        if item.quantity is not None and item.quantity < 0:
            warnings.append(
                ExtractionWarning(
                    code="negative_quantity",
                    message=f"Line item {position} has a negative quantity ({item.quantity}).",
                )
            )
    return warnings
