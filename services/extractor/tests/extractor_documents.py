"""Invoice files for tests, drawn with reportlab: real PDFs with (or without) a text layer."""

from __future__ import annotations

import io
import struct
import uuid
import zlib

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas


def _page(lines: list[tuple[str, str]], *, marker: str | None = None, **options: object) -> bytes:
    """Each line is (left text, right-aligned amount), drawn as a real invoice lays them out."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, **options)  # type: ignore[arg-type]
    width, height = A4
    y = height - 25 * mm
    for left, right in lines:
        pdf.setFont("Helvetica-Bold" if left.isupper() else "Helvetica", 10)
        pdf.drawString(20 * mm, y, left)
        if right:
            pdf.drawRightString(width - 20 * mm, y, right)
        y -= 7 * mm
    # A unique footer makes every document's hash unique, so tests never share answers.
    pdf.setFont("Helvetica", 6)
    pdf.drawString(20 * mm, 10 * mm, marker or f"ref {uuid.uuid4()}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def english_invoice() -> bytes:
    return _page(
        [
            ("Northwind Traders Ltd", ""),
            ("12 Harbour Road, Bristol BS1 4QA", ""),
            ("INVOICE", ""),
            ("Invoice No: INV-2024-0042", "Invoice date: March 5, 2024"),
            ("Due date: 04/04/2024", ""),
            ("Bill to: Contoso Inc.", ""),
            ("Description            Qty   Unit price", "Amount"),
            ("Consulting services     10      $100.00", "$1,000.00"),
            ("Travel expenses          1      $234.50", "$234.50"),
            ("Subtotal", "$1,234.50"),
            ("Tax (7.5%)", "$92.59"),
            ("Total", "$1,327.09"),
            ("Payment terms: 30 days net", ""),
        ]
    )


def german_invoice() -> bytes:
    return _page(
        [
            ("Müller & Söhne GmbH", ""),
            ("Hauptstraße 5, 80331 München", ""),
            ("Rechnung", ""),
            ("Rechnungsnummer: RE-2024-117", ""),
            ("Rechnungsdatum: 05.03.2024", ""),
            ("Fällig am: 2024-04-04", ""),
            ("Pos. Beschreibung   Menge   Einzelpreis", "Betrag"),
            ("1    Montage          12     95,00 €", "1.140,00 €"),
            ("2    Material          1     94,50 €", "94,50 €"),
            ("Nettobetrag", "1.234,50 €"),
            ("zzgl. 19% MwSt", "234,56 €"),
            ("Gesamtbetrag", "1.469,06 €"),
            ("USt-IdNr.: DE123456789", ""),
        ]
    )


def scanned_invoice() -> bytes:
    """A page with only shapes on it, as a scan without OCR has no text either."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.rect(20 * mm, 200 * mm, 80 * mm, 40 * mm, fill=1)
    pdf.circle(120 * mm, 120 * mm, 15 * mm)
    pdf.setTitle(str(uuid.uuid4()))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def password_protected_invoice() -> bytes:
    return _page([("Secret Supplies", ""), ("Total", "10.00")], encrypt="open-sesame")


def png_invoice() -> bytes:
    """A small valid PNG whose pixels are unique per call."""
    width, height = 4, 4
    seed = uuid.uuid4().bytes
    rows = b"".join(b"\x00" + (seed * 2)[y * 4 : y * 4 + 12] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
