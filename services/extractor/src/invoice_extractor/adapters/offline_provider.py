"""Extraction without an LLM: the PDF's text layer, read with pdfplumber and domain rules."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pdfplumber

from invoice_extractor.domain import errors
from invoice_extractor.domain.model import Document, ProviderResult, UserExtractionSettings
from invoice_extractor.domain.text_reading import read_invoice_text

logger = logging.getLogger(__name__)

OFFLINE_MODEL = "offline-pdf-text"


class _ReadingTookTooLong(Exception):
    pass


class OfflineProvider:
    """Reads text layers in its own threads, one per concurrent extraction.

    pdfminer is pure Python and cannot be interrupted from outside, so each reading checks
    its deadline between pages; the event loop stops waiting at the deadline either way.
    """

    def __init__(self, *, timeout_seconds: float = 30.0, max_threads: int = 4) -> None:
        self.timeout_seconds = timeout_seconds
        self._threads = ThreadPoolExecutor(max_threads, thread_name_prefix="offline-pdf")

    async def extract(self, document: Document, settings: UserExtractionSettings) -> ProviderResult:
        if document.content_type != "application/pdf":
            raise errors.no_text_layer()
        loop = asyncio.get_running_loop()
        reading = loop.run_in_executor(
            self._threads, _text_layer, document.bytes, self.timeout_seconds
        )
        try:
            # A little beyond the reading's own deadline, so that it can report first.
            text = await asyncio.wait_for(reading, self.timeout_seconds + 1.0)
        except (TimeoutError, _ReadingTookTooLong) as exc:
            raise errors.reading_timed_out(self.timeout_seconds) from exc
        if not text.strip():
            raise errors.no_text_layer()

        reading_result = read_invoice_text(text)
        return ProviderResult(
            data=reading_result.data,
            model=OFFLINE_MODEL,
            cost_usd=Decimal(0),
            confidence=reading_result.confidence,
        )

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def _text_layer(content: bytes, timeout_seconds: float) -> str:
    deadline = time.monotonic() + timeout_seconds
    pages: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            for page in pdf.pages:
                if time.monotonic() > deadline:
                    raise _ReadingTookTooLong
                pages.append(page.extract_text() or "")
    except _ReadingTookTooLong:
        raise
    except Exception as exc:
        # pdfminer raises a wide range of types for damaged or encrypted files; all of them
        # mean the same to the user.
        logger.info("pdfplumber could not read the file: %s", type(exc).__name__)
        raise errors.unreadable_file() from exc
    return "\n".join(pages)
