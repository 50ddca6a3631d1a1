"""Recognising invoice files by their content, and making client file names safe to keep."""

from __future__ import annotations

import posixpath
import unicodedata
from typing import Final, Literal

InvoiceContentType = Literal["application/pdf", "image/png"]

PDF: Final = "application/pdf"
PNG: Final = "image/png"

# PDF readers find the header anywhere in the first 1024 bytes, so a file with a short preamble
# (some scanners and mail gateways add one) still opens; accept what they accept.
PDF_HEADER = b"%PDF-"
PDF_HEADER_SEARCH_BYTES = 1024 + len(PDF_HEADER)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IHDR = b"\x00\x00\x00\x0dIHDR"
SNIFF_BYTES = max(PDF_HEADER_SEARCH_BYTES, len(PNG_SIGNATURE) + len(PNG_IHDR))

MAX_FILE_NAME_CHARS = 255
DEFAULT_FILE_NAMES: dict[str, str] = {PDF: "invoice.pdf", PNG: "invoice.png"}

# Control characters, and format characters such as the right-to-left override that can make
# "invoice\u202efdp.exe" read as "invoiceexe.pdf", never belong in a name shown to a user.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_MAX_KEPT_SUFFIX_CHARS = 16


def sniff_content_type(head: bytes) -> InvoiceContentType | None:
    """The invoice type the first bytes of a file show, or None; names and claims are ignored."""
    if head.startswith(PNG_SIGNATURE) and head[len(PNG_SIGNATURE) :].startswith(PNG_IHDR):
        return PNG
    if PDF_HEADER in head[:PDF_HEADER_SEARCH_BYTES]:
        return PDF
    return None


def clean_file_name(client_name: str | None, content_type: InvoiceContentType) -> str:
    """The client's file name without folders or control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", client_name or "")
    name = posixpath.basename(name.replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c) not in _UNSAFE_CATEGORIES)
    name = name.strip()
    if name.strip(".") == "":
        return DEFAULT_FILE_NAMES[content_type]
    if len(name) > MAX_FILE_NAME_CHARS:
        name = _shortened(name)
    return name


def _shortened(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and len(suffix) <= _MAX_KEPT_SUFFIX_CHARS:
        return stem[: MAX_FILE_NAME_CHARS - len(suffix) - 1].rstrip() + "." + suffix
    return name[:MAX_FILE_NAME_CHARS].rstrip()
