"""Finding the value a label names: beside it in its cell, in the next cell, or right below it.

"Invoice no. 15441", "Invoice no.  |  15441" and a row of labels above a row of values
("Invoice no.  Invoice date  Due date" over "INV-7  2024-03-05  2024-04-04") all read the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from invoice_extractor.domain.labels import LabelHit
from invoice_extractor.domain.layout import Line

_VALUE_PUNCTUATION = " \t:#=\u2013"


@dataclass(frozen=True)
class Page:
    """The document's lines with the labels found on each, shared by every field reader."""

    lines: Sequence[Line]
    hits: Sequence[Sequence[LabelHit]]

    def hits_of(self, *kinds: str) -> list[LabelHit]:
        return [hit for line_hits in self.hits for hit in line_hits if hit.kind in kinds]

    def value_beside(self, hit: LabelHit) -> str:
        """The text after the label up to the next label, within its cell or the next one."""
        line = self.lines[hit.line]
        text = line.text
        following = [other.start for other in self.hits[hit.line] if other.start >= hit.end]
        stop = min(following, default=len(text))
        cell_index, cell_start = line.cell_at(hit.start)
        cell_end = cell_start + len(line.cells[cell_index].text)
        rest = text[hit.end : min(cell_end, stop)].strip(_VALUE_PUNCTUATION)
        rest = re.sub(r"^\.(?=\s)", "", rest).strip(_VALUE_PUNCTUATION)
        if rest or cell_index + 1 >= len(line.cells):
            return rest
        next_start = cell_end + 1
        if next_start >= stop:
            return ""
        next_end = next_start + len(line.cells[cell_index + 1].text)
        return text[next_start : min(next_end, stop)].strip(_VALUE_PUNCTUATION)

    def value_below(self, hit: LabelHit) -> str:
        """The text under the label, on the next line, between it and the next label's column."""
        line = self.lines[hit.line]
        left = line.x_of(hit.start)
        following = [other for other in self.hits[hit.line] if other.start >= hit.end]
        right = line.x_of(following[0].start) if following else float("inf")
        tolerance = 0.6 * line.height
        for number in range(hit.line + 1, min(hit.line + 3, len(self.lines))):
            below = self.lines[number]
            if below.top - line.bottom > 2.2 * line.height:
                break
            starts = {other.start for other in self.hits[number]}
            words: list[str] = []
            offset = 0
            for cell in below.cells:
                inside = [
                    word.text
                    for word in cell.words
                    if left - tolerance <= (word.x0 + word.x1) / 2 < right - tolerance
                ]
                if inside and any(offset <= start < offset + len(cell.text) for start in starts):
                    # The line below is another field's label and value, not this one's value.
                    return ""
                words.extend(inside)
                offset += len(cell.text) + 1
            if words:
                return " ".join(words)
        return ""

    def values(self, hit: LabelHit) -> list[str]:
        """Where the label's value may be, nearest first."""
        beside = self.value_beside(hit)
        return [beside] if beside else [self.value_below(hit)]
