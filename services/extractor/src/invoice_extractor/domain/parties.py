"""Vendor and customer: their blocks of lines, names, addresses, tax ids and contacts.

The vendor is the block a "From" label heads, or else the first prominent block at the top of
the first page. The customer is the block a "Bill to" label heads, or else, in a German
business letter, the address window under the one-line sender ("Firma · Straße 1 · 12345
Ort"). A block is the run of cells below its first one that start (or end) at the same x.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from invoice_contracts.extraction import Party

from invoice_extractor.domain.fields import Page
from invoice_extractor.domain.labels import LabelHit
from invoice_extractor.domain.layout import Cell, Line

_TITLES = re.compile(
    r"^(?:(?:tax\s*|proforma\s*|pro\s*forma\s*|commercial\s*)?invoice|rechnung|gutschrift|"
    r"credit\s*note|facture(?:\s*proforma)?|avoir|receipt|quittung|re[çc]u|page\s*\d.*|"
    r"seite\s*\d.*)[\s:.]*$",
    re.IGNORECASE,
)
_LEADING_NOISE = " .,:;·*'\"“”•\u2013_|-"
_SEPARATOR = re.compile(r"^[\s\-=_*.·]{6,}$")
_SENDER_LINE = re.compile(r"^(?P<name>[^·•|]{2,}?)\s*[·•|]\s*(?P<address>.+)$")
_EMAIL = re.compile(r"[\w.+-]+\s?@\s?[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")
_URL = re.compile(r"(?:www\.|https?://)\S+", re.IGNORECASE)
# VAT ids as the EU, Switzerland and the UK print them; the Swiss one keeps its "MWST" suffix.
_TAX_IDS = re.compile(
    r"\bCHE[-\s]?\d{3}[.\s]?\d{3}[.\s]?\d{3}(?:\s?(?:MWST|TVA|IVA|VAT))?"
    r"|\bATU\d{8}\b|\bDE\s?\d{9}\b|\bGB\s?(?:\d{9}(?:\d{3})?|GD\d{3}|HA\d{3})\b"
    r"|\bFR\s?[0-9A-Z]{2}\s?\d{9}\b|\bIE\s?\d{7}[A-Z]{1,2}\b|\bIE\s?\d[A-Z0-9+*]\d{5}[A-Z]\b"
    r"|\b(?:NL\d{9}B\d{2}|BE0?\d{9,10}|IT\d{11}|ES[A-Z0-9]\d{7}[A-Z0-9]|LU\d{8}|AT\s?U\d{8})\b"
)
_STOP_KINDS = frozenset(
    {
        "invoice_number",
        "purchase_order",
        "customer_number",
        "issue_date",
        "due_date",
        "service_period",
        "customer_block",
        "vendor_block",
        "ship_to",
        "terms",
        "iban",
        "bic",
        "bank",
        "subtotal",
        "total",
    }
)


@dataclass(frozen=True)
class Block:
    lines: tuple[int, ...]
    texts: tuple[str, ...]


@dataclass
class PartyReading:
    party: Party
    block: Block | None
    confidence: dict[str, float]


def block_from(
    page: Page,
    anchor_line: int,
    anchor: Cell,
    *,
    limit: int = 8,
    stop_lines: frozenset[int] = frozenset(),
    any_edge: bool = False,
) -> Block:
    """The cells aligned with `anchor` on the lines below it, up to a gap or another block.

    Cells align on their left edge; a letterhead may also be aligned right or centred.
    A line of another column may sit between two of the block's lines.
    """
    lines = page.lines
    found_lines: list[int] = []
    texts: list[str] = []
    previous = lines[anchor_line]
    pitch: float | None = None
    tolerance = 0.8 * (anchor.bottom - anchor.top)
    for index in range(anchor_line + 1, len(lines)):
        line = lines[index]
        if len(found_lines) >= limit or index in stop_lines:
            break
        if line.top - previous.bottom > 2.2 * previous.height:
            break
        # A block's lines follow at an even pitch; a wider gap starts something else.
        if pitch is not None and line.top - previous.top > 1.5 * pitch:
            break
        if _SEPARATOR.match(line.text):
            break
        aligned = [
            cell
            for cell in line.cells
            if abs(cell.x0 - anchor.x0) <= tolerance
            or (any_edge and abs(cell.x1 - anchor.x1) <= tolerance)
            or (any_edge and abs(cell.x0 + cell.x1 - anchor.x0 - anchor.x1) <= 2 * tolerance)
        ]
        if not aligned:
            continue
        cell = aligned[0]
        offset = line.text.find(cell.text)
        before_or_at = [hit for hit in page.hits[index] if hit.start <= offset]
        if any(hit.kind in _STOP_KINDS for hit in before_or_at):
            break
        if found_lines:
            pitch = line.top - previous.top
        found_lines.append(index)
        texts.append(cell.text.lstrip(_LEADING_NOISE))
        previous = line
    return Block(tuple(found_lines), tuple(texts))


def _is_label_only(text: str) -> bool:
    return bool(re.fullmatch(r"[^:]{1,30}:\s*", text))


def party_from_block(page: Page, block: Block, *, name_given: str | None = None) -> PartyReading:
    """Name, address, tax id, email and phone of the party whose block this is."""
    name = name_given
    address: list[str] = []
    tax_id = email = phone = None
    confidence: dict[str, float] = {}
    address_done = False
    for number, text in zip(block.lines, block.texts, strict=True):
        line_hits = _hits_in(page, number, text)
        kinds = {hit.kind for hit in line_hits}
        if kinds & {"tax_id"} or _TAX_IDS.search(text):
            tax_id = tax_id or tax_id_in(text)
            address_done = True
            continue
        if "email" in kinds or _EMAIL.search(text):
            found = _EMAIL.search(text)
            email = email or (found.group(0).replace(" ", "") if found else None)
            address_done = True
            continue
        if "phone" in kinds:
            found = _PHONE.search(text)
            phone = phone or (found.group(0).strip() if found else None)
            address_done = True
            continue
        if kinds & (_STOP_KINDS | {"contact"}) or _URL.search(text) or _TITLES.match(text):
            address_done = address_done or name is not None
            continue
        if _is_label_only(text):
            continue
        if name is None:
            name = text.strip()
        elif not address_done and len(address) < 4:
            address.append(text.strip())
    party = Party(
        name=clean_name(name) if name else None,
        address=", ".join(address) or None,
        tax_id=tax_id,
        email=email,
        phone=phone,
    )
    for field_name in ("name", "address", "tax_id", "email", "phone"):
        if getattr(party, field_name) is not None:
            confidence[field_name] = 0.6 if field_name != "address" else 0.5
    return PartyReading(party, block, confidence)


def _hits_in(page: Page, number: int, text: str) -> list[LabelHit]:
    """The labels inside one cell of a line (the block's cell, not the whole line)."""
    line = page.lines[number]
    offset = line.text.find(text)
    if offset < 0:
        return []
    return [hit for hit in page.hits[number] if offset <= hit.start < offset + len(text)]


def clean_name(name: str) -> str:
    return re.sub(r"[\s*·•|\-\u2013\"“”:]+$", "", name).strip()[:200]


def tax_ids_in(text: str) -> list[str]:
    """The VAT ids printed in `text` without a label."""
    return [tax_id_in(match.group(0)) or match.group(0) for match in _TAX_IDS.finditer(text)]


def tax_id_in(text: str) -> str | None:
    """The VAT or tax id a cell prints, after its label."""
    found = _TAX_IDS.search(text)
    if found is not None:
        return re.sub(r"(?<=\d)(?=(?:MWST|TVA|IVA|VAT)$)", " ", found.group(0))
    value = re.sub(r"^[^:]*:\s*", "", text) if ":" in text else text
    tokens = [token for token in value.split() if re.search(r"\d", token)]
    return tokens[0].strip(".,;") if tokens else None


def sender_line(lines: Sequence[Line], before: int) -> tuple[int, Cell] | None:
    """The one-line sender above a letter's address window: "Firma · Straße 1 · 12345 Ort"."""
    for index, line in enumerate(lines[:before]):
        for cell in line.cells:
            dots = cell.text.count("·") + cell.text.count("•")
            if (dots >= 1 or cell.text.count("|") >= 2) and len(cell.text) >= 12:
                return index, cell
    return None


def vendor_from_sender(cell: Cell) -> Party | None:
    match = _SENDER_LINE.match(cell.text)
    if match is None:
        return None
    # OCR may read one of the dots as a full stop: "Straße 68.4051 Basel".
    address = re.sub(r"(?<=\d)\.(?=\d{4,5}\b)", "·", match["address"])
    parts = [part.strip() for part in re.split(r"[·•|]", address) if part.strip()]
    return Party(name=clean_name(match["name"]), address=", ".join(parts) or None)


def first_block(page: Page, *, before: int) -> tuple[int, Cell] | None:
    """The top block's first cell: the first cell that is neither a title nor a label."""
    for index in range(min(before, len(page.lines))):
        for cell in page.lines[index].cells:
            text = cell.text.strip()
            if not text or _TITLES.match(text) or _is_label_only(text):
                continue
            line_offset = page.lines[index].text.find(cell.text)
            if any(hit.start == line_offset for hit in page.hits[index]):
                continue
            if len(re.sub(r"[^A-Za-zÀ-ÿ]", "", text)) < 2:
                continue
            return index, cell
    return None


def emails_in(texts: Iterable[str]) -> list[str]:
    return [match.group(0).replace(" ", "") for text in texts for match in _EMAIL.finditer(text)]


def phone_after(text: str) -> str | None:
    found = _PHONE.search(text)
    return found.group(0).strip() if found else None
