"""Pages of an uploaded file: a PDF page's text layer, or its image when it has none.

pdfplumber gives the words of a text layer with their positions; a page without one (a scan)
is rendered with pypdfium2 for OCR. A PNG is one page image. Every call here blocks: the
offline provider runs them in its threads, one page at a time, each under a time limit.
"""

from __future__ import annotations

import io
import logging
import math
import threading
from dataclasses import dataclass
from typing import Protocol

import pdfplumber
import pypdfium2
from PIL import Image

from invoice_extractor.domain import errors
from invoice_extractor.domain.layout import PageLayout, Word, lines_from_words
from invoice_extractor.domain.model import Document

logger = logging.getLogger(__name__)

RENDER_DPI = 200
# A page with fewer characters than this in its text layer is treated as a scan.
MIN_TEXT_CHARACTERS = 20

# PDFium is not thread-safe, not even across documents: every call into it takes this lock.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """A page that has to be read by OCR."""

    image: Image.Image


class DocumentPages(Protocol):
    @property
    def page_count(self) -> int: ...

    def read(self, index: int) -> PageLayout | PageImage: ...

    def close(self) -> None: ...


class PageSource(Protocol):
    def open(self, document: Document) -> DocumentPages: ...


class FilePages:
    """Opens PDFs with pdfplumber and PNGs with Pillow, refusing images beyond a pixel limit."""

    def __init__(self, *, max_image_pixels: int = 40_000_000, dpi: int = RENDER_DPI) -> None:
        self.max_image_pixels = max_image_pixels
        self.dpi = dpi

    def open(self, document: Document) -> DocumentPages:
        if document.content_type == "image/png":
            return _ImagePages(_open_image(document.bytes, self.max_image_pixels))
        return _PdfPages(document.bytes, self.max_image_pixels, self.dpi)


def _open_image(content: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
        # The header alone tells the size: a decompression bomb is refused before decoding.
        if image.width * image.height > max_pixels:
            raise errors.image_too_large(max_pixels)
        image.load()
    except Image.DecompressionBombError as exc:
        raise errors.image_too_large(max_pixels) from exc
    except errors.ExtractionError:
        raise
    except Exception as exc:
        logger.info("Pillow could not read the image: %s", type(exc).__name__)
        raise errors.unreadable_file() from exc
    return _on_white(image)


def _on_white(image: Image.Image) -> Image.Image:
    """The image in RGB, with transparent parts on white paper rather than black."""
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return image.convert("RGB")


class _ImagePages:
    def __init__(self, image: Image.Image) -> None:
        self._image = image

    @property
    def page_count(self) -> int:
        return 1

    def read(self, index: int) -> PageLayout | PageImage:
        return PageImage(self._image)

    def close(self) -> None:
        self._image.close()


class _PdfPages:
    def __init__(self, content: bytes, max_pixels: int, dpi: int) -> None:
        self._content = content
        self._max_pixels = max_pixels
        self._dpi = dpi
        self._rendered: pypdfium2.PdfDocument | None = None
        try:
            self._pdf = pdfplumber.open(io.BytesIO(content))
            self._count = len(self._pdf.pages)
        except Exception as exc:
            # pdfminer raises a wide range of types for damaged or encrypted files; all of
            # them mean the same to the user.
            logger.info("pdfplumber could not open the file: %s", type(exc).__name__)
            raise errors.unreadable_file() from exc

    @property
    def page_count(self) -> int:
        return self._count

    def read(self, index: int) -> PageLayout | PageImage:
        try:
            page = self._pdf.pages[index]
            words = page.extract_words(extra_attrs=["upright"])
            width, height = float(page.width), float(page.height)
        except Exception as exc:
            logger.info("pdfplumber could not read page %d: %s", index + 1, type(exc).__name__)
            raise errors.unreadable_file() from exc
        readable = [
            Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]))
            for w in words
            if w.get("upright", True) and "(cid:" not in w["text"]
        ]
        if sum(len(word.text) for word in readable) >= MIN_TEXT_CHARACTERS:
            return PageLayout(tuple(lines_from_words(readable)), width, height, "text")
        return PageImage(self._render(index))

    def _render(self, index: int) -> Image.Image:
        with _PDFIUM:
            try:
                if self._rendered is None:
                    self._rendered = pypdfium2.PdfDocument(self._content)
                page = self._rendered[index]
                width, height = page.get_size()
                scale = self._dpi / 72
                # A huge page size would render into a huge bitmap: keep it under the limit.
                if width * height * scale * scale > self._max_pixels:
                    scale = math.sqrt(self._max_pixels / max(width * height, 1.0))
                bitmap = page.render(scale=scale, grayscale=True)
                image: Image.Image = bitmap.to_pil().convert("RGB")
                return image
            except Exception as exc:
                logger.info("PDFium could not render page %d: %s", index + 1, type(exc).__name__)
                raise errors.unreadable_file() from exc

    def close(self) -> None:
        self._pdf.close()
        if self._rendered is not None:
            with _PDFIUM:
                self._rendered.close()
