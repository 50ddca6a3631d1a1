from __future__ import annotations

import pytest
from ingest_support import pdf_bytes, png_bytes
from invoice_ingest.domain.files import PDF, PNG, clean_file_name, sniff_content_type
from invoice_ingest.entrypoints.http import content_disposition


def test_a_pdf_is_recognised_by_its_header() -> None:
    assert sniff_content_type(pdf_bytes()) == PDF


def test_a_pdf_header_after_a_preamble_of_up_to_1024_bytes_is_still_a_pdf() -> None:
    assert sniff_content_type(b"\x00" * 1024 + pdf_bytes()) == PDF
    assert sniff_content_type(b"\x00" * 1025 + pdf_bytes()) is None


def test_a_png_needs_the_signature_and_an_ihdr_chunk() -> None:
    assert sniff_content_type(png_bytes()) == PNG
    assert sniff_content_type(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16) is None


@pytest.mark.parametrize(
    "content",
    [
        b"Invoice 2024-001\nTotal: 12.00 EUR\n",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04 a zip named invoice.pdf",
        b"%PD",
        b"",
    ],
)
def test_anything_else_is_not_an_invoice_file(content: bytes) -> None:
    assert sniff_content_type(content) is None


@pytest.mark.parametrize(
    ("client_name", "cleaned"),
    [
        ("invoice-2024-001.pdf", "invoice-2024-001.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\ana\\Documents\\März.pdf", "März.pdf"),
        ("/tmp/scan.png", "scan.png"),
        ("bad\x00name\r\n.pdf", "badname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  spaced name.pdf  ", "spaced name.pdf"),
        ("Rechnung Nr. 7 \u2013 Müller GmbH.pdf", "Rechnung Nr. 7 \u2013 Müller GmbH.pdf"),
    ],
)
def test_client_file_names_lose_folders_and_control_characters(
    client_name: str, cleaned: str
) -> None:
    assert clean_file_name(client_name, PDF) == cleaned


@pytest.mark.parametrize("client_name", [None, "", "   ", ".", "..", "folder/", "\x07\x08"])
def test_a_missing_or_empty_name_becomes_the_default_for_the_type(
    client_name: str | None,
) -> None:
    assert clean_file_name(client_name, PDF) == "invoice.pdf"
    assert clean_file_name(client_name, PNG) == "invoice.png"


def test_a_long_name_is_cut_to_255_characters_keeping_its_extension() -> None:
    cleaned = clean_file_name("a" * 400 + ".pdf", PDF)

    assert len(cleaned) == 255
    assert cleaned.endswith("a.pdf")


def test_a_long_name_without_a_short_extension_is_cut_too() -> None:
    assert clean_file_name("b" * 300, PDF) == "b" * 255


def test_the_download_name_is_sent_in_utf8_with_an_ascii_fallback() -> None:
    header = content_disposition('Rechnung "März".pdf', PDF)

    assert header == (
        'attachment; filename="Rechnung _Marz_.pdf"; '
        "filename*=UTF-8''Rechnung%20%22M%C3%A4rz%22.pdf"
    )


def test_a_name_with_no_ascii_left_falls_back_to_the_default() -> None:
    assert content_disposition("請求書.png", PNG).startswith('attachment; filename="invoice.png";')
