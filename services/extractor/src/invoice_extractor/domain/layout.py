"""Words with positions, put back into the lines and cells a reader sees on the page.

A text layer (pdfplumber's words) and OCR (boxes of text) both end up here, so that one field
reader serves both. A cell is a run of words whose gaps are no wider than a few spaces: the
label and the value of "Invoice no.      15441" are two cells, "Coffee beans 1 kg" is one.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

PageSource = Literal["text", "ocr"]

# A gap wider than this many times the text height separates two cells.
CELL_GAP = 0.8


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-6)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Cell:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)

    def x_of(self, offset: int) -> float:
        """The horizontal position of the character at `offset` in `text`."""
        position = 0
        for word in self.words:
            end = position + len(word.text)
            if offset <= end:
                share = (offset - position) / max(len(word.text), 1)
                return word.x0 + share * (word.x1 - word.x0)
            position = end + 1
        return self.x1


@dataclass(frozen=True)
class Line:
    cells: tuple[Cell, ...]

    @property
    def text(self) -> str:
        """The cells joined by tabs: a label's value never runs into the next column's text."""
        return "\t".join(cell.text for cell in self.cells)

    @property
    def top(self) -> float:
        return min(cell.top for cell in self.cells)

    @property
    def bottom(self) -> float:
        return max(cell.bottom for cell in self.cells)

    @property
    def height(self) -> float:
        return statistics.median(word.height for cell in self.cells for word in cell.words)

    @property
    def x0(self) -> float:
        return self.cells[0].x0

    @property
    def x1(self) -> float:
        return self.cells[-1].x1

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(word for cell in self.cells for word in cell.words)

    def cell_at(self, offset: int) -> tuple[int, int]:
        """The index of the cell holding character `offset` of `text`, and the cell's start."""
        start = 0
        for index, cell in enumerate(self.cells):
            end = start + len(cell.text)
            if offset <= end:
                return index, start
            start = end + 1
        return len(self.cells) - 1, start

    def x_of(self, offset: int) -> float:
        index, start = self.cell_at(offset)
        return self.cells[index].x_of(offset - start)


@dataclass(frozen=True)
class PageLayout:
    lines: tuple[Line, ...]
    width: float
    height: float
    source: PageSource = "text"

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def lines_from_words(words: Iterable[Word], *, cell_gap: float = CELL_GAP) -> list[Line]:
    """Group words into lines by vertical overlap, order each line by x, split it into cells."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        if not word.text.strip():
            continue
        if rows and _same_row(rows[-1], word):
            rows[-1].append(word)
        else:
            rows.append([word])
    return [_cells(sorted(row, key=lambda w: w.x0), cell_gap) for row in rows]


def _same_row(row: Sequence[Word], word: Word) -> bool:
    top = statistics.median(w.top for w in row)
    bottom = statistics.median(w.bottom for w in row)
    overlap = min(bottom, word.bottom) - max(top, word.top)
    return overlap >= 0.5 * min(bottom - top, word.height)


def _cells(row: Sequence[Word], cell_gap: float) -> Line:
    height = statistics.median(word.height for word in row)
    cells: list[list[Word]] = [[row[0]]]
    for word in row[1:]:
        if word.x0 - cells[-1][-1].x1 > cell_gap * height:
            cells.append([word])
        else:
            cells[-1].append(word)
    return Line(tuple(Cell(tuple(cell)) for cell in cells))


def lines_from_text(text: str) -> list[Line]:
    """Lines of plain text, each character one unit wide; two or more spaces split cells."""
    lines = []
    for number, raw in enumerate(text.splitlines()):
        words = [
            Word(match.group(0), match.start(), match.end(), number * 2.0, number * 2.0 + 1.0)
            for match in re.finditer(r"\S+", raw.replace("\t", "  "))
        ]
        if words:
            lines.append(_cells(words, cell_gap=1.5))
    return lines


Point = tuple[float, float]


def words_from_boxes(boxes: Iterable[tuple[Sequence[Point], str]]) -> list[Word]:
    """OCR boxes (four corners, text) as words on a straightened page.

    A scan is often tilted by a degree or two, which over a page's width moves a line's end by
    more than a line's height; rotating the boxes back by their median slope keeps lines apart.
    Each box's words get positions in proportion to their characters.
    """
    boxes = [(corners, text) for corners, text in boxes if text.strip() and len(corners) == 4]
    angle = _median_slope(corners for corners, _ in boxes)
    cosine, sine = math.cos(-angle), math.sin(-angle)
    words: list[Word] = []
    for corners, text in boxes:
        turned = [(x * cosine - y * sine, x * sine + y * cosine) for x, y in corners]
        x0 = min(x for x, _ in turned)
        x1 = max(x for x, _ in turned)
        top = min(y for _, y in turned)
        bottom = max(y for _, y in turned)
        words.extend(_split_box(text.strip(), x0, x1, top, bottom))
    return words


def _median_slope(boxes: Iterable[Sequence[Point]]) -> float:
    slopes = []
    for corners in boxes:
        (left_x, left_y), (right_x, right_y) = corners[0], corners[1]
        width = right_x - left_x
        height = abs(corners[3][1] - corners[0][1])
        # Only boxes much wider than high show the slope of the text line reliably.
        if width > 3 * max(height, 1.0):
            slopes.append(math.atan2(right_y - left_y, width))
    return statistics.median(slopes) if slopes else 0.0


def _split_box(text: str, x0: float, x1: float, top: float, bottom: float) -> list[Word]:
    unit = (x1 - x0) / max(len(text), 1)
    return [
        Word(match.group(0), x0 + match.start() * unit, x0 + match.end() * unit, top, bottom)
        for match in re.finditer(r"\S+", text)
    ]
