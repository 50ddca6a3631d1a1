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


def valid_iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits (ISO 13616) for the given account, in groups of 4."""
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    check = 98 - int(digits) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


TABLE_INVOICES: dict[str, dict[str, object]] = {
    "en": {
        "vendor": [
            "Bramble & Finch Ltd",
            "14 Orchard Row",
            "Bath BA1 2QT",
            "VAT no.: GB123456782",
            "Tel.: +44 1225 555 010",
        ],
        "title": "INVOICE",
        "meta": [
            ("Invoice no.", "BF-2024-311"),
            ("Invoice date", "14/06/2024"),
            ("Due date", "14/07/2024"),
            ("PO number", "PO-7781"),
        ],
        "bill_to": ["Bill to", "Kestrel Garden Supplies", "3 Mill Lane", "Bristol BS1 5TR"],
        "header": ["Description", "Qty", "Unit price", "VAT", "Amount"],
        "rows": [
            ["Garden design consultation", "3", "120.00", "20%", "360.00"],
            ["Oak planter, large", "2", "89.50", "20%", "179.00"],
            ["Delivery", "1", "25.00", "20%", "25.00"],
        ],
        "totals": [
            ("Subtotal", "£564.00"),
            ("VAT 20%", "£112.80"),
            ("Total", "£676.80"),
            ("Amount due", "£676.80"),
        ],
        "footer": [
            "Payment terms: 30 days net",
            f"IBAN: {valid_iban('GB', 'BRFN40051512345678')}",
            "BIC: BRFNGB2L",
        ],
    },
    "de": {
        "vendor": [
            "Lindwurm Werkzeuge GmbH",
            "Ringstraße 9",
            "90402 Nürnberg",
            "USt-IdNr.: DE812345678",
        ],
        "title": "Rechnung",
        "meta": [
            ("Rechnungsnummer:", "RW-24-0815"),
            ("Rechnungsdatum:", "03.07.2024"),
            ("Fällig am:", "02.08.2024"),
        ],
        "bill_to": ["Rechnung an", "Tischlerei Auer", "Bergweg 4", "83022 Rosenheim"],
        "header": ["Pos.", "Bezeichnung", "Menge", "Einheit", "Einzelpreis", "MwSt.", "Gesamt"],
        "rows": [
            ["1", "Akkuschrauber 18 V", "2", "Stk.", "149,90", "19 %", "299,80"],
            ["2", "Schleifpapier (50er Pack)", "4", "Pck.", "12,45", "19 %", "49,80"],
            ["3", "Einweisung vor Ort", "1,5", "Std.", "80,00", "19 %", "120,00"],
        ],
        "totals": [
            ("Nettobetrag", "469,60 €"),
            ("zzgl. 19 % MwSt.", "89,22 €"),
            ("Gesamtbetrag", "558,82 €"),
        ],
        "footer": [
            "Zahlungsbedingungen: 30 Tage netto",
            f"IBAN: {valid_iban('DE', '760100850123456789')}",
            "BIC: LWWKDEM1XXX",
        ],
    },
    "fr": {
        "vendor": [
            "Atelier Lumière SARL",
            "12 rue des Tanneurs",
            "69001 Lyon",
            "N° TVA : FR12345678901",
        ],
        "title": "FACTURE",
        "meta": [
            ("Facture n° :", "FA-2024-118"),
            ("Date de facture :", "21/05/2024"),
            ("Date d'échéance :", "20/06/2024"),
        ],
        "bill_to": ["Facturé à", "Boulangerie Martin", "5 place du Marché", "38000 Grenoble"],
        "header": ["Désignation", "Qté", "Prix unitaire", "TVA", "Montant HT"],
        "rows": [
            ["Lampe de bureau laiton", "2", "145,00", "20 %", "290,00"],
            ["Abat-jour sur mesure", "1", "60,50", "20 %", "60,50"],
        ],
        "totals": [
            ("Total HT", "350,50 €"),
            ("TVA 20 %", "70,10 €"),
            ("Total TTC", "420,60 €"),
            ("Net à payer", "420,60 €"),
        ],
        "footer": [
            "Conditions de paiement : 30 jours fin de mois",
            f"IBAN : {valid_iban('FR', '30004000031234567890143')}",
            "BIC : ATLUFRPPXXX",
        ],
    },
}


def table_invoice(language: str) -> bytes:
    """An invoice whose line items are a reportlab Table, laid out as offices print them."""
    from reportlab.platypus import Table, TableStyle

    content = TABLE_INVOICES[language]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    y = height - 25 * mm
    for number, line in enumerate(content["vendor"]):  # type: ignore[arg-type]
        pdf.setFont("Helvetica-Bold" if number == 0 else "Helvetica", 14 if number == 0 else 9)
        pdf.drawString(20 * mm, y, line)
        y -= 6 * mm if number == 0 else 4.5 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(125 * mm, height - 25 * mm, str(content["title"]))
    meta_y = height - 35 * mm
    pdf.setFont("Helvetica", 9)
    for label, value in content["meta"]:  # type: ignore[attr-defined]
        pdf.drawString(125 * mm, meta_y, label)
        pdf.drawRightString(width - 20 * mm, meta_y, value)
        meta_y -= 5 * mm
    y = min(y, meta_y) - 10 * mm
    for number, line in enumerate(content["bill_to"]):  # type: ignore[arg-type]
        pdf.setFont("Helvetica-Bold" if number == 0 else "Helvetica", 9)
        pdf.drawString(20 * mm, y, line)
        y -= 4.5 * mm

    rows = [content["header"], *content["rows"]]  # type: ignore[list-item]
    table = Table(rows, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("ALIGN", (-4, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, "black"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    _, table_height = table.wrapOn(pdf, width - 40 * mm, height)
    y -= 6 * mm + table_height
    table.drawOn(pdf, 20 * mm, y)

    y -= 10 * mm
    for label, value in content["totals"]:  # type: ignore[attr-defined]
        pdf.setFont("Helvetica", 9)
        pdf.drawString(115 * mm, y, label)
        pdf.drawRightString(width - 20 * mm, y, value)
        y -= 5 * mm
    y -= 10 * mm
    for line in content["footer"]:  # type: ignore[attr-defined]
        pdf.drawString(20 * mm, y, line)
        y -= 4.5 * mm
    pdf.setFont("Helvetica", 6)
    pdf.drawString(20 * mm, 10 * mm, f"ref {uuid.uuid4()}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def ocr_invoice_image():  # type: ignore[no-untyped-def]
    """A small English invoice drawn with Pillow, for a real OCR run."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1000, 820), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=24)
    left = [
        (40, "Harbour Lights Ltd"),
        (75, "7 Quay Lane, Cardiff CF10 1AB"),
        (170, "Invoice no.   HL-5521"),
        (205, "Invoice date   12 May 2024"),
        (240, "Due date   11 June 2024"),
        (320, "Description"),
        (360, "Lantern repair"),
        (400, "Brass polish"),
        (500, "Subtotal"),
        (535, "VAT 20%"),
        (570, "Total"),
    ]
    right = [
        (320, "Qty", 480),
        (320, "Unit price", 610),
        (320, "Amount", 830),
        (360, "2", 500),
        (360, "45.00", 640),
        (360, "90.00", 850),
        (400, "3", 500),
        (400, "8.50", 650),
        (400, "25.50", 850),
        (500, "EUR 115.50", 780),
        (535, "EUR 23.10", 795),
        (570, "EUR 138.60", 780),
    ]
    for y, text in left:
        draw.text((40, y), text, font=font, fill="black")
    for y, text, x in right:
        draw.text((x, y), text, font=font, fill="black")
    draw.text((40, 700), f"ref {uuid.uuid4().hex[:8]}", font=font, fill="black")
    return image


def png_bytes(image) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_only_pdf(image) -> bytes:  # type: ignore[no-untyped-def]
    """A PDF whose one page is only the image, as a scanner makes it (no text layer)."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    size = (image.width * 72 / 150, image.height * 72 / 150)
    pdf = canvas.Canvas(buffer, pagesize=size)
    pdf.drawImage(ImageReader(image), 0, 0, width=size[0], height=size[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A PNG whose header states a huge size over almost no data, as a decompression bomb does."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
