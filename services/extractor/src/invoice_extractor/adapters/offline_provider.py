"""Extraction without an LLM: each page's text layer, or OCR where a page has none.

Pages are read one after another in the provider's threads, each under the page time limit
and all under the document's; at most `max_pages` pages are read. pdfminer and ONNX Runtime
cannot be interrupted from outside, so at a limit the event loop stops waiting and the file
fails; the thread finishes the page in the background and then closes the file. A page stuck
for good would keep its thread: move reading to worker processes if that is ever observed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from PIL.Image import Image

from invoice_extractor.adapters.ocr import OcrUnavailable, shared_recognizer
from invoice_extractor.adapters.pages import DocumentPages, FilePages, PageImage, PageSource
from invoice_extractor.domain import errors
from invoice_extractor.domain.layout import PageLayout
from invoice_extractor.domain.model import Document, ProviderResult, UserExtractionSettings
from invoice_extractor.domain.text_reading import read_invoice_pages

logger = logging.getLogger(__name__)

OFFLINE_MODEL = "offline-pdf-text"
OCR_MODEL = "offline-ocr"

T = TypeVar("T")


class TextRecognizer(Protocol):
    def recognize(self, image: Image) -> PageLayout: ...


class OfflineProvider:
    def __init__(
        self,
        *,
        timeout_seconds: float = 30.0,
        page_timeout_seconds: float = 20.0,
        max_pages: int = 20,
        max_image_pixels: int = 40_000_000,
        max_threads: int = 4,
        pages: PageSource | None = None,
        recognizer: TextRecognizer | None = None,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.page_timeout_seconds = page_timeout_seconds
        self.max_pages = max_pages
        self._pages = pages or FilePages(max_image_pixels=max_image_pixels)
        self._recognizer = recognizer
        self._threads = ThreadPoolExecutor(max_threads, thread_name_prefix="offline-reading")
        # One OCR at a time: the engine uses every core for one page already.
        self._ocr_turn = asyncio.Semaphore(1)

    async def extract(self, document: Document, settings: UserExtractionSettings) -> ProviderResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_seconds
        opening = self._submit(self._pages.open, document)
        try:
            opened = await self._wait(opening, deadline, page=None)
        except BaseException:
            opening.add_done_callback(_close_when_opened)
            raise
        last_work: Future[Any] = opening
        try:
            layouts: list[PageLayout] = []
            count = min(opened.page_count, self.max_pages)
            if opened.page_count > count:
                logger.info("reading the first %d of %d pages", count, opened.page_count)
            for index in range(count):
                reading = self._submit(opened.read, index)
                last_work = reading
                page = await self._wait(reading, deadline, page=index + 1)
                if isinstance(page, PageImage):
                    deadline, page = await self._recognize(page, deadline, index + 1)
                layouts.append(page)
        finally:
            # Closed only once no thread reads the file any more, even one that was given up on.
            last_work.add_done_callback(lambda _: _close_quietly(opened))

        if not any(page.lines for page in layouts):
            raise errors.no_text_found()
        reading_result = read_invoice_pages(layouts)
        ocr = any(page.source == "ocr" for page in layouts)
        return ProviderResult(
            data=reading_result.data,
            model=OCR_MODEL if ocr else OFFLINE_MODEL,
            cost_usd=Decimal(0),
            confidence=reading_result.confidence,
        )

    async def _recognize(
        self, page: PageImage, deadline: float, number: int
    ) -> tuple[float, PageLayout]:
        loop = asyncio.get_running_loop()
        queued = loop.time()
        try:
            await asyncio.wait_for(self._ocr_turn.acquire(), max(deadline - queued, 0.0))
        except TimeoutError as exc:
            raise errors.reading_timed_out(self.timeout_seconds) from exc
        # Waiting for the engine is load, not this document's slowness: the clock pauses.
        deadline += loop.time() - queued
        recognizer = self._recognizer or shared_recognizer()
        work = self._submit(recognizer.recognize, page.image)
        # The turn passes on only when the engine is free, even after a page was given up on.
        work.add_done_callback(lambda _: _release_soon(loop, self._ocr_turn))
        try:
            return deadline, await self._wait(work, deadline, page=number)
        except OcrUnavailable as exc:
            logger.error("OCR is not available in this process: %s", exc)
            raise errors.ocr_unavailable() from exc

    def _submit(self, function: Callable[..., T], *args: object) -> Future[T]:
        return self._threads.submit(function, *args)

    async def _wait(self, work: Future[T], deadline: float, *, page: int | None) -> T:
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        page_bound = page is not None and self.page_timeout_seconds < remaining
        limit = self.page_timeout_seconds if page_bound else remaining
        try:
            return await asyncio.wait_for(asyncio.wrap_future(work), max(limit, 0.0))
        except TimeoutError as exc:
            if page_bound:
                raise errors.reading_timed_out(self.page_timeout_seconds, page=page) from exc
            raise errors.reading_timed_out(self.timeout_seconds) from exc

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def _close_when_opened(opening: Future[DocumentPages]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        _close_quietly(opening.result())


def _close_quietly(pages: DocumentPages) -> None:
    try:
        pages.close()
    except Exception as exc:
        logger.info("closing a read file failed: %s", type(exc).__name__)


def _release_soon(loop: asyncio.AbstractEventLoop, turn: asyncio.Semaphore) -> None:
    # A closed loop raises RuntimeError: nobody waits for the turn any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(turn.release)
