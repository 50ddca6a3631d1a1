"""Make a text PDF look scanned: rasterize it, tilt and soil the page, keep only pixels."""

from __future__ import annotations

import io
import random

import pypdfium2
from PIL import Image, ImageDraw
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

SCAN_DPI = 150
POINTS_PER_INCH = 72
JPEG_QUALITY = 70


def rasterize(pdf: bytes, dpi: int = SCAN_DPI) -> Image.Image:
    """The first page as a grayscale image."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / POINTS_PER_INCH, grayscale=True)
        image: Image.Image = bitmap.to_pil().convert("L")
        return image
    finally:
        document.close()


def as_scanned(page: Image.Image, rng: random.Random) -> Image.Image:
    """Grey paper, weaker ink, a slight tilt and specks of dust, drawn from ``rng`` alone."""
    paper = rng.randint(232, 246)
    ink = rng.randint(20, 55)
    toned = page.point([ink + (paper - ink) * value // 255 for value in range(256)])
    angle = rng.choice((-1, 1)) * rng.uniform(0.3, 1.4)
    tilted = toned.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=paper)

    draw = ImageDraw.Draw(tilted)
    width, height = tilted.size
    for _ in range(width * height // 6000):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.choice((0, 0, 0, 1, 1, 2))
        draw.rectangle((x, y, x + size, y + size), fill=rng.randint(70, 190))
    return tilted


def png_bytes(image: Image.Image, dpi: int = SCAN_DPI) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, dpi=(dpi, dpi))
    return buffer.getvalue()


def image_pdf(image: Image.Image, page_size: tuple[float, float]) -> bytes:
    """A PDF whose page is just the image, as a scanner would write it: no text layer."""
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    jpeg.seek(0)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=page_size, invariant=True)
    # A JPEG reader is embedded as it is (DCTDecode) rather than re-encoded.
    canvas.drawImage(ImageReader(jpeg), 0, 0, width=page_size[0], height=page_size[1])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def page_size(pdf: bytes) -> tuple[float, float]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
        return float(width), float(height)
    finally:
        document.close()
