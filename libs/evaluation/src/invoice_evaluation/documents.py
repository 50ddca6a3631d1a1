"""The three kinds of document in the dataset, and how to tell them apart by their bytes."""

from __future__ import annotations

import io
from enum import StrEnum

import pdfplumber

EXPECTED_SUFFIX = ".expected.json"
"""Ends the name of a ground truth file: ``invoice-001.pdf`` has ``invoice-001.expected.json``."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF-"


class DocumentKind(StrEnum):
    TEXT_PDF = "text_pdf"
    SCANNED_PDF = "scanned_pdf"
    PNG = "png"

    @property
    def label(self) -> str:
        return {"text_pdf": "text PDF", "scanned_pdf": "scanned PDF", "png": "PNG"}[self.value]

    @property
    def suffix(self) -> str:
        return ".png" if self is DocumentKind.PNG else ".pdf"

    @property
    def content_type(self) -> str:
        return "image/png" if self is DocumentKind.PNG else "application/pdf"


class UnknownDocument(ValueError):
    """The bytes are neither a PDF nor a PNG."""


def has_text_layer(pdf: bytes) -> bool:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return any(page.chars for page in document.pages)


def detect_kind(document: bytes) -> DocumentKind:
    """Classify by content rather than by name, so renamed files are still counted right."""
    if document.startswith(PNG_SIGNATURE):
        return DocumentKind.PNG
    if document.startswith(PDF_SIGNATURE):
        return DocumentKind.TEXT_PDF if has_text_layer(document) else DocumentKind.SCANNED_PDF
    raise UnknownDocument("neither a PDF nor a PNG")
