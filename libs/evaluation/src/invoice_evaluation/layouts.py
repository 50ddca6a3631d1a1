"""The four invoice templates, drawn with reportlab into PDFs that have a real text layer.

Every template prints every non-null field of the invoice's ground truth; what a template cannot
print, synthesis never fills (see ``synthesis.TEMPLATE_SHOWS``).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from reportlab.lib.pagesizes import A4, mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from invoice_evaluation.synthesis import SyntheticInvoice, Template
from invoice_evaluation.vocabulary import labels_for

Align = Literal["left", "right", "center"]
LEFT, RIGHT = 50.0, A4[0] - 50.0
SMALLEST_FONT_SIZE = 6.0
EN_DASH = "\u2013"


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    align: Align = "left"


class Pen:
    """Writes text on the canvas in one typeface family, shrinking what would not fit."""

    def __init__(self, canvas: Canvas, regular: str, bold: str) -> None:
        self.canvas = canvas
        self.regular = regular
        self.bold = bold

    def write(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9,
        *,
        bold: bool = False,
        align: Align = "left",
        width: float | None = None,
    ) -> None:
        font = self.bold if bold else self.regular
        while width is not None and size > SMALLEST_FONT_SIZE:
            if stringWidth(text, font, size) <= width:
                break
            size -= 0.25
        self.canvas.setFont(font, size)
        if align == "right":
            self.canvas.drawRightString(x, y, text)
        elif align == "center":
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def lines(
        self, x: float, y: float, lines: Sequence[str], size: float = 9, *, align: Align = "left"
    ) -> float:
        """Write lines downwards from ``y``; return the baseline below the last one."""
        leading = size * 1.35
        for line in lines:
            self.write(x, y, line, size, align=align)
            y -= leading
        return y

    def table(
        self,
        x: float,
        y: float,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        size: float = 8.5,
        leading: float = 16,
        shade: float = 0.88,
    ) -> float:
        """Draw a header row on a shaded band and the rows below it, ruled; return the next y."""
        total_width = sum(column.width for column in columns)
        self.canvas.setFillGray(shade)
        self.canvas.rect(x, y - 5, total_width, leading, fill=1, stroke=0)
        self.canvas.setFillGray(0)
        for cells, bold in [(tuple(c.title for c in columns), True), *((r, False) for r in rows)]:
            left = x
            for column, cell in zip(columns, cells, strict=True):
                room = column.width - 8
                if column.align == "right":
                    self.write(
                        left + column.width - 4, y, cell, size, bold=bold, align="right", width=room
                    )
                else:
                    self.write(left + 4, y, cell, size, bold=bold, width=room)
                left += column.width
            y -= leading
            self.canvas.setStrokeGray(0.75)
            self.canvas.setLineWidth(0.4)
            self.canvas.line(x, y + leading - 5, x + total_width, y + leading - 5)
            self.canvas.setStrokeGray(0)
        return y


class Sheet:
    """The printed words of one invoice: labels, formatted values and blocks every layout uses."""

    def __init__(self, invoice: SyntheticInvoice) -> None:
        self.invoice = invoice
        self.data = invoice.data
        self.extras = invoice.extras
        self.format = invoice.plan.formatter
        self.labels = labels_for(invoice.plan.locale.tag)

    def label(self, key: str) -> str:
        return self.labels[key]

    def money(self, value: Decimal | None) -> str:
        return "" if value is None else self.format.money(value)

    def amount(self, value: Decimal | None) -> str:
        return "" if value is None else self.format.amount(value)

    def meta_rows(self) -> list[tuple[str, str]]:
        data, fmt = self.data, self.format
        assert data.issue_date is not None and data.due_date is not None
        rows = [
            (self.label("invoice_number"), data.invoice_number or ""),
            (self.label("issue_date"), fmt.date(data.issue_date)),
            (self.label("due_date"), fmt.date(data.due_date)),
        ]
        if self.extras.customer_number:
            rows.append((self.label("customer_number"), self.extras.customer_number))
        if data.purchase_order:
            rows.append((self.label("purchase_order"), data.purchase_order))
        period = data.service_period
        if period is not None and period.start is not None and period.end is not None:
            span = f"{fmt.date(period.start)} {EN_DASH} {fmt.date(period.end)}"
            rows.append((self.label("service_period"), span))
        return rows

    def vendor_lines(self, *, with_name: bool = True) -> list[str]:
        vendor = self.data.vendor
        assert vendor is not None
        lines = [vendor.name or ""] if with_name else []
        lines += self.extras.vendor_address_lines
        lines.append(f"{self.label('tax_id')}: {vendor.tax_id}")
        if vendor.phone:
            lines.append(f"{self.label('phone')}: {vendor.phone}")
        if vendor.email:
            lines.append(f"{self.label('email')}: {vendor.email}")
        return lines

    def customer_lines(self) -> list[str]:
        customer = self.data.customer
        assert customer is not None
        lines = [customer.name or "", *self.extras.customer_address_lines]
        if customer.tax_id:
            lines.append(f"{self.label('tax_id')}: {customer.tax_id}")
        return lines

    def tax_line_label(self, rate: Decimal | None, base: Decimal | None) -> str:
        rate_text = "" if rate is None else self.format.rate(rate)
        tax, on, base_text = self.label("tax"), self.label("tax_on"), self.amount(base)
        if self.invoice.plan.locale.language == "de":
            return f"zzgl. {rate_text} {tax} {on} {base_text}"
        return f"{tax} {rate_text} {on} {base_text}"

    def totals_rows(self, *, tax_lines: bool = True) -> list[tuple[str, str, bool]]:
        data = self.data
        rows = [(self.label("subtotal"), self.money(data.subtotal), False)]
        if tax_lines:
            rows += [
                (self.tax_line_label(line.rate, line.base), self.money(line.amount), False)
                for line in data.tax_breakdown
            ]
        else:
            rows.append((self.label("tax_total"), self.money(data.tax_total), False))
        rows.append((self.label("total"), self.money(data.total), True))
        if data.amount_paid is not None:
            rows.append((self.label("amount_paid"), self.money(-data.amount_paid), False))
        rows.append((self.label("amount_due"), self.money(data.amount_due), True))
        return rows

    def payment_lines(self) -> list[str]:
        payment = self.data.payment
        assert payment is not None
        lines = [
            f"{self.label('terms')}: {payment.terms}",
            f"{self.label('bank')}: {self.extras.bank_name}",
        ]
        if self.extras.routing_number is not None:
            lines += [
                f"{self.label('account')}: {payment.iban}",
                f"{self.label('routing')}: {self.extras.routing_number}",
                f"{self.label('swift')}: {payment.bic}",
            ]
        else:
            lines += [
                f"{self.label('iban')}: {payment.iban}",
                f"{self.label('bic')}: {payment.bic}",
            ]
        if payment.reference:
            lines.append(f"{self.label('reference')}: {payment.reference}")
        return lines

    def quantity(self, value: Decimal | None, unit: str | None = None) -> str:
        text = "" if value is None else self.format.quantity(value)
        return f"{text} {unit}" if unit else text

    def rate(self, value: Decimal | None) -> str:
        return "" if value is None else self.format.rate(value)


def _totals(pen: Pen, sheet: Sheet, y: float, label_x: float, tax_lines: bool = True) -> float:
    for label, value, bold in sheet.totals_rows(tax_lines=tax_lines):
        if bold:
            pen.canvas.setLineWidth(0.6)
            pen.canvas.line(label_x, y + 11, RIGHT, y + 11)
        pen.write(label_x, y, label, 9.5, bold=bold, width=RIGHT - label_x - 80)
        pen.write(RIGHT, y, value, 9.5, bold=bold, align="right")
        y -= 15
    return y


def _info_block(
    pen: Pen, x: float, y: float, rows: Sequence[tuple[str, str]], size: float, *, bold: bool
) -> float:
    """Labels at ``x``, values flush right; a long value shrinks rather than overprint its label."""
    for label, value in rows:
        pen.write(x, y, label, size, bold=bold)
        label_width = stringWidth(label, pen.bold if bold else pen.regular, size)
        pen.write(RIGHT, y, value, size, align="right", width=RIGHT - x - label_width - 8)
        y -= size * 1.55
    return y


def draw_classic(canvas: Canvas, sheet: Sheet) -> None:
    pen = Pen(canvas, "Helvetica", "Helvetica-Bold")
    data = sheet.data
    pen.write(LEFT, 790, sheet.vendor_lines()[0], 16, bold=True, width=300)
    pen.write(RIGHT, 788, sheet.label("invoice").upper(), 24, bold=True, align="right")
    vendor_end = pen.lines(LEFT, 772, sheet.vendor_lines()[1:], 9)

    y = _info_block(pen, 350, 750, sheet.meta_rows(), 9, bold=True)
    y = min(y, vendor_end) - 18
    pen.write(LEFT, y, sheet.label("bill_to"), 10, bold=True)
    y = pen.lines(LEFT, y - 14, sheet.customer_lines(), 9.5) - 16

    columns = (
        Column(sheet.label("description"), 215),
        Column(sheet.label("quantity"), 65, "right"),
        Column(sheet.label("unit_price"), 80, "right"),
        Column(sheet.label("tax_rate"), 50, "right"),
        Column(f"{sheet.label('amount')} ({sheet.format.currency_label()})", 85, "right"),
    )
    rows = [
        (
            item.description or "",
            sheet.quantity(item.quantity, item.unit),
            sheet.amount(item.unit_price),
            sheet.rate(item.tax_rate),
            sheet.amount(item.amount),
        )
        for item in data.line_items
    ]
    y = pen.table(LEFT, y, columns, rows) - 10
    y = _totals(pen, sheet, y, 300) - 20

    canvas.setLineWidth(0.5)
    canvas.line(LEFT, y + 8, RIGHT, y + 8)
    y = pen.lines(LEFT, y - 6, sheet.payment_lines(), 8.5)
    pen.write(LEFT, max(y - 14, 40), sheet.label("thanks"), 9, bold=True)


def draw_two_column(canvas: Canvas, sheet: Sheet) -> None:
    pen = Pen(canvas, "Times-Roman", "Times-Bold")
    data = sheet.data
    canvas.setFillGray(0.9)
    canvas.rect(0, 770, A4[0], A4[1] - 770, fill=1, stroke=0)
    canvas.setFillGray(0)
    pen.write(LEFT, 798, sheet.vendor_lines()[0], 20, bold=True, width=330)
    pen.write(RIGHT, 798, sheet.label("invoice"), 22, align="right")

    pen.write(LEFT, 740, sheet.label("from"), 10.5, bold=True)
    left_end = pen.lines(LEFT, 724, sheet.vendor_lines(), 10)
    pen.write(310, 740, sheet.label("bill_to"), 10.5, bold=True)
    right_end = pen.lines(310, 724, sheet.customer_lines(), 10)

    y = min(left_end, right_end) - 16
    meta = sheet.meta_rows()
    step = (RIGHT - LEFT) / len(meta)
    canvas.setLineWidth(0.6)
    canvas.line(LEFT, y + 14, RIGHT, y + 14)
    for position, (label, value) in enumerate(meta):
        x = LEFT + position * step
        pen.write(x, y, label, 8, width=step - 6)
        pen.write(x, y - 14, value, 10.5, bold=True, width=step - 6)
    canvas.line(LEFT, y - 22, RIGHT, y - 22)
    y -= 46

    columns = (
        Column(sheet.label("position"), 22, "right"),
        Column(sheet.label("code"), 55),
        Column(sheet.label("description"), 150),
        Column(sheet.label("quantity"), 42, "right"),
        Column(sheet.label("unit"), 42),
        Column(sheet.label("unit_price"), 68, "right"),
        Column(sheet.label("tax_rate"), 44, "right"),
        Column(sheet.label("amount"), 72, "right"),
    )
    rows = [
        (
            str(position),
            item.code or "",
            item.description or "",
            sheet.quantity(item.quantity),
            item.unit or "",
            sheet.amount(item.unit_price),
            sheet.rate(item.tax_rate),
            sheet.amount(item.amount),
        )
        for position, item in enumerate(data.line_items, start=1)
    ]
    y = pen.table(LEFT, y, columns, rows, size=9.5, shade=0.92) - 14

    summary = (
        Column(sheet.label("rate"), 55, "right"),
        Column(sheet.label("net"), 75, "right"),
        Column(sheet.label("tax"), 70, "right"),
    )
    summary_rows = [
        (sheet.rate(line.rate), sheet.amount(line.base), sheet.amount(line.amount))
        for line in data.tax_breakdown
    ]
    summary_end = pen.table(LEFT, y, summary, summary_rows, size=9, leading=14, shade=0.95)
    totals_end = _totals(pen, sheet, y, 330, tax_lines=False)
    y = min(summary_end, totals_end) - 24

    canvas.line(LEFT, y + 12, RIGHT, y + 12)
    pen.lines(LEFT, y - 4, sheet.payment_lines(), 9.5)


RECEIPT_WIDTH = 80 * mm
RECEIPT_CHARS = 42
RECEIPT_LEADING = 10.5


def draw_receipt(sheet: Sheet) -> bytes:
    data = sheet.data
    assert data.issue_date is not None and data.due_date is not None
    entries: list[tuple[str, str, str, bool]] = []

    def add(kind: str, left: str = "", right: str = "", bold: bool = False) -> None:
        if kind in ("center", "left"):
            for part in textwrap.wrap(left, RECEIPT_CHARS) or [""]:
                entries.append((kind, part, "", bold))
        else:
            entries.append((kind, left, right, bold))

    vendor_lines = sheet.vendor_lines()
    add("center", vendor_lines[0], bold=True)
    for line in vendor_lines[1:]:
        add("center", line)
    add("rule")
    add("center", sheet.label("invoice").upper(), bold=True)
    add("pair", sheet.label("invoice_number"), data.invoice_number or "")
    add("pair", sheet.label("issue_date"), sheet.format.date(data.issue_date))
    add("pair", sheet.label("due_date"), sheet.format.date(data.due_date))
    add("left", f"{sheet.label('bill_to')}:")
    for line in sheet.customer_lines():
        add("left", line)
    add("rule")
    for item in data.line_items:
        add("left", item.description or "")
        detail = f"  {sheet.quantity(item.quantity)} x {sheet.amount(item.unit_price)}"
        add("pair", f"{detail}  {sheet.rate(item.tax_rate)}", sheet.amount(item.amount))
    add("rule")
    for label, value, bold in sheet.totals_rows():
        add("pair", label, value, bold)
    add("rule")
    for line in sheet.payment_lines():
        add("left", line)
    add("center", sheet.label("thanks"))

    height = 2 * 20 + len(entries) * RECEIPT_LEADING
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(RECEIPT_WIDTH, height), invariant=True)
    pen = Pen(canvas, "Courier", "Courier-Bold")
    margin = 10.0
    y = height - 20 - 8
    for kind, left, right, bold in entries:
        if kind == "rule":
            pen.write(margin, y, "-" * RECEIPT_CHARS, 8)
        elif kind == "center":
            pen.write(RECEIPT_WIDTH / 2, y, left, 8, bold=bold, align="center")
        elif kind == "left":
            pen.write(margin, y, left, 8, bold=bold)
        else:
            room = RECEIPT_WIDTH - 2 * margin - stringWidth(right, "Courier", 8) - 6
            pen.write(margin, y, left, 8, bold=bold, width=room)
            pen.write(RECEIPT_WIDTH - margin, y, right, 8, bold=bold, align="right")
        y -= RECEIPT_LEADING
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_rechnung(canvas: Canvas, sheet: Sheet) -> None:
    """A German business letter after DIN 5008: letterhead, address window, info block."""
    pen = Pen(canvas, "Helvetica", "Helvetica-Bold")
    data, extras = sheet.data, sheet.extras
    vendor = data.vendor
    assert vendor is not None and data.due_date is not None
    pen.write(RIGHT, 800, vendor.name or "", 14, bold=True, align="right")
    pen.lines(RIGHT, 784, extras.vendor_address_lines, 8.5, align="right")

    sender = " · ".join([vendor.name or "", *extras.vendor_address_lines])
    pen.write(57, 712, sender, 7, width=230)
    canvas.setLineWidth(0.4)
    canvas.line(57, 709, 290, 709)
    pen.lines(57, 692, sheet.customer_lines(), 10)

    y = min(_info_block(pen, 340, 712, sheet.meta_rows(), 8.5, bold=False), 600)
    pen.write(57, y, f"{sheet.label('invoice')} Nr. {data.invoice_number}", 13, bold=True)
    y = (
        pen.lines(
            57,
            y - 24,
            (
                "Sehr geehrte Damen und Herren,",
                "wir berechnen Ihnen folgende Lieferungen und Leistungen:",
            ),
            9.5,
        )
        - 6
    )

    columns = (
        Column(sheet.label("position"), 28, "right"),
        Column(sheet.label("code"), 52),
        Column(sheet.label("description"), 150),
        Column(sheet.label("quantity"), 42, "right"),
        Column(sheet.label("unit"), 45),
        Column(sheet.label("unit_price"), 65, "right"),
        Column(sheet.label("tax_rate"), 44, "right"),
        Column(sheet.label("amount"), 62, "right"),
    )
    rows = [
        (
            str(position),
            item.code or "",
            item.description or "",
            sheet.quantity(item.quantity),
            item.unit or "",
            sheet.amount(item.unit_price),
            sheet.rate(item.tax_rate),
            sheet.amount(item.amount),
        )
        for position, item in enumerate(data.line_items, start=1)
    ]
    y = pen.table(57, y, columns, rows, size=8.5, leading=15) - 10
    y = _totals(pen, sheet, y, 290) - 14

    payment = data.payment
    assert payment is not None
    letter = [
        f"{sheet.label('terms')}: {payment.terms}",
        "Bitte überweisen Sie den Zahlbetrag bis zum "
        f"{sheet.format.date(data.due_date)} auf das unten genannte Konto.",
    ]
    if payment.reference:
        letter.append(f"{sheet.label('reference')}: {payment.reference}")
    y = pen.lines(57, y, letter, 9)
    pen.lines(57, y - 8, ("Mit freundlichen Grüßen", vendor.name or ""), 9)

    canvas.setLineWidth(0.4)
    canvas.line(57, 88, RIGHT, 88)
    pen.lines(57, 76, [vendor.name or "", *extras.vendor_address_lines], 7)
    contact = [f"{sheet.label('tax_id')}: {vendor.tax_id}"]
    if vendor.phone:
        contact.append(f"{sheet.label('phone')}: {vendor.phone}")
    if vendor.email:
        contact.append(f"{sheet.label('email')}: {vendor.email}")
    pen.lines(225, 76, contact, 7)
    bank = [extras.bank_name, f"IBAN: {payment.iban}", f"BIC: {payment.bic}"]
    pen.lines(395, 76, bank, 7)


PageLayout = Callable[[Canvas, Sheet], None]
PAGE_LAYOUTS: dict[Template, PageLayout] = {
    Template.CLASSIC: draw_classic,
    Template.TWO_COLUMN: draw_two_column,
    Template.RECHNUNG: draw_rechnung,
}


def render_pdf(invoice: SyntheticInvoice) -> bytes:
    """Draw the invoice as a one-page PDF whose bytes depend only on the invoice."""
    sheet = Sheet(invoice)
    if invoice.plan.template is Template.RECEIPT:
        return draw_receipt(sheet)
    buffer = io.BytesIO()
    # invariant: no creation time or random document id, so the same seed gives the same bytes.
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"{sheet.label('invoice')} {invoice.data.invoice_number}")
    PAGE_LAYOUTS[invoice.plan.template](canvas, sheet)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
