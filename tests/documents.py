"""Small invoices made on the fly: a text PDF, a PDF without a text layer, a PNG."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def text_invoice_pdf(
    vendor: str = "Acme Office Supplies Ltd",
    number: str = "INV-2024-0042",
    issue_date: str = "2024-03-05",
    total: str = "1,234.56",
    currency: str = "EUR",
) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    lines = [
        vendor,
        "12 Market Street, Springfield",
        "",
        "INVOICE",
        f"Invoice Number: {number}",
        f"Invoice Date: {issue_date}",
        "Due Date: 2024-04-04",
        "",
        "Description            Qty   Unit price   Amount",
        "Paper A4 500 sheets      10        84.00   840.00",
        "Toner cartridge           2       153.73   307.46",
        "",
        "Subtotal: 1,147.46",
        "Tax: 87.10",
        f"Total: {total} {currency}",
    ]
    y = 800
    for line in lines:
        page.drawString(60, y, line)
        y -= 18
    page.showPage()
    page.save()
    return buffer.getvalue()


def scanned_pdf_without_text() -> bytes:
    """A PDF whose page is only a drawing: there is no text layer to read."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.rect(60, 600, 300, 150, fill=1)
    page.line(60, 560, 400, 560)
    page.showPage()
    page.save()
    return buffer.getvalue()


def invoice_png(label: str = "INVOICE 77") -> bytes:
    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).text((20, 20), label, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
