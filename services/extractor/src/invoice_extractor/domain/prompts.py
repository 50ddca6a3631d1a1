"""The instructions sent to the LLM, versioned so an extraction records which ones it used."""

from __future__ import annotations

import hashlib

from invoice_extractor.domain.model import Document, UserExtractionSettings

# Bump the version with every change of the text: stored extractions name the version they used.
DEFAULT_PROMPT_VERSION = "2026-12-01"
DEFAULT_PROMPT = """\
You read invoices and return their data as JSON that follows the given schema exactly.

Rules:
- Copy what the document says; never invent or compute a value the document does not show.
  A field the document does not carry is null, and a list it does not carry is empty.
- Amounts are decimal strings with '.' as the decimal separator and no thousands separators,
  for example "1234.50". Keep the sign of credits and discounts as printed.
- Dates are ISO 8601 (YYYY-MM-DD). Read day-first dates (31.12.2024, 31/12/2024) as the
  document's country writes them.
- Currency is the ISO 4217 code (EUR for €, GBP for £, USD for $ unless the document says
  otherwise).
- The vendor issued the invoice; the customer receives it. Tax ids are VAT or tax numbers.
- Line items are the invoice's positions in printed order; tax rates are percentages
  ("19" for 19 %).
- language is the ISO 639-1 code of the document's main language.
"""

USER_INSTRUCTION = "Extract the invoice data from the attached document."


def system_prompt_for(settings: UserExtractionSettings) -> tuple[str, str]:
    """The prompt and its version: the user's own prompt is identified by its hash."""
    custom = (settings.system_prompt or "").strip()
    if not custom:
        return DEFAULT_PROMPT, DEFAULT_PROMPT_VERSION
    digest = hashlib.sha256(custom.encode()).hexdigest()[:12]
    return custom, f"custom-{digest}"


def user_instruction(document: Document) -> str:
    return f"{USER_INSTRUCTION} File name: {document.file_name}"
