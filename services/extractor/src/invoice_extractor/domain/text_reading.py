"""Reading invoice fields off laid-out text with rules, for users without an OpenAI key.

The same reader serves a PDF's text layer and OCR: both arrive as lines of cells with
positions (domain.layout). It reads English, German and French layouts: labelled fields beside
or below their label, the item table, the totals block with its tax lines, the vendor and
customer blocks and the bank details. Each field found gets a confidence; amounts that add up
(subtotal plus tax is the total, the items add up to the subtotal) are confirmed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoice_contracts.extraction import InvoiceData, Party, Payment, ServicePeriod, TaxLine

from invoice_extractor.domain.fields import Page
from invoice_extractor.domain.labels import AMOUNT_KINDS, LabelHit, scan_lines
from invoice_extractor.domain.layout import Cell, Line, PageLayout, Word, lines_from_text
from invoice_extractor.domain.line_items import ItemsFound, read_line_items
from invoice_extractor.domain.normalize import (
    DocumentLocale,
    FoundAmount,
    currency_mentions,
    detect_locale,
    find_amounts,
    find_dates,
    find_percentages,
)
from invoice_extractor.domain.parties import (
    Block,
    PartyReading,
    block_from,
    emails_in,
    first_block,
    party_from_block,
    phone_after,
    sender_line,
    tax_id_in,
    tax_ids_in,
    vendor_from_sender,
)

FOUND = 0.6
HEURISTIC = 0.4
CONFIRMED = 0.9

_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,32}")
_BIC = re.compile(r"\b[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-zÀ-ÿ])(?=\d)|(?<=\d)(?=[A-Za-zÀ-ÿ])")
_BASE_WORD = re.compile(r"\b(?:on|auf|sur|de|from|von)\b", re.IGNORECASE)
_SUMMARY_ROW = re.compile(r"^\s*\d{1,2}(?:[.,]\d{1,2})?\s?%")
# IBAN lengths by country, so that a check digit match on a too short run is not taken.
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "IE": 22, "IT": 27, "LI": 21, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "SE": 24,
}  # fmt: skip
_IBAN_CURRENCIES = {
    "CH": "CHF", "LI": "CHF", "GB": "GBP", "SE": "SEK", "NO": "NOK", "DK": "DKK", "PL": "PLN",
    "CZ": "CZK",
}  # fmt: skip
_EURO_COUNTRIES = frozenset((
    "AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PT", "SI", "SK",
))  # fmt: skip


@dataclass(frozen=True)
class TextReading:
    data: InvoiceData
    confidence: dict[str, float]

    @property
    def found_anything(self) -> bool:
        return bool(self.confidence)


def read_invoice_text(text: str) -> TextReading:
    """The fields plain text states (one line per line, columns apart by two spaces)."""
    lines = lines_from_text(text)
    return read_invoice_lines(lines)


def read_invoice_pages(pages: Sequence[PageLayout]) -> TextReading:
    """The fields the pages state, read as one document from top to bottom."""
    return read_invoice_lines(_stacked(pages), ocr=any(page.source == "ocr" for page in pages))


def _stacked(pages: Sequence[PageLayout]) -> list[Line]:
    lines: list[Line] = []
    offset = 0.0
    for page in pages:
        for line in page.lines:
            lines.append(_moved(line, offset) if offset else line)
        offset += page.height
    return lines


def _moved(line: Line, offset: float) -> Line:
    return Line(
        tuple(
            Cell(
                tuple(Word(w.text, w.x0, w.x1, w.top + offset, w.bottom + offset) for w in c.words)
            )
            for c in line.cells
        )
    )


def read_invoice_lines(lines: Sequence[Line], *, ocr: bool = False) -> TextReading:
    text = "\n".join(line.text for line in lines)
    locale = detect_locale(text)
    if ocr:
        lines = [_repaired(line, german=locale.language == "de") for line in lines]
        text = "\n".join(line.text for line in lines)
    page = Page(lines, scan_lines(lines))
    reader = _Reader(page, text, locale)
    return reader.read()


# OCR models without "ß" read it as "B": "StraBe", "GruBen", "WeiB". A "B" after a small letter
# that ends its word or only a German ending follows cannot be a capital starting a new word.
_SHARP_S = re.compile(r"(?<=[a-zäöü])B(?=(?:e|en|er|es|em|t)?(?![a-zäöü]))")
# OCR often drops the space between words: "WinklerLogistikAG", "Bahnhofstrasse68", "4051Basel".
_JOINED_WORDS = re.compile(
    r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])(?<!Gmb(?=H))(?<!mb(?=H))(?<!KGa(?=A))"
    r"|(?<=[a-zäöüß]{2})(?=\d)|(?<=\d)(?=[A-ZÄÖÜ][a-zäöüß]|[a-zäöüß]{3})|(?<=[a-z]\.)(?=[A-Z])"
)


def _repaired(line: Line, *, german: bool) -> Line:
    """Common OCR slips undone: words run together, and (in German) "ß" read as "B"."""

    def repair(text: str) -> str:
        if german:
            text = _SHARP_S.sub("ß", text)
        text = _JOINED_WORDS.sub(" ", text)
        # "4;75": a semicolon between digits is a misread decimal comma.
        text = re.sub(r"(?<=\d);(?=\d)", ",", text)
        return re.sub(r"\s*&\s*", " & ", text).strip() if "&" in text else text

    return Line(
        tuple(
            Cell(tuple(Word(repair(w.text), w.x0, w.x1, w.top, w.bottom) for w in cell.words))
            for cell in line.cells
        )
    )


class _Reader:
    def __init__(self, page: Page, text: str, locale: DocumentLocale) -> None:
        self.page = page
        self.text = text
        self.locale = locale
        self.hint = locale.decimal_separator
        self.fields: dict[str, object] = {}
        self.confidence: dict[str, float] = {}
        self.items = ItemsFound()

    def read(self) -> TextReading:
        self.items = read_line_items(self.page.lines, self.page.hits, self.hint)
        self._identifiers()
        self._dates()
        self._totals()
        self._line_items()
        self._parties()
        self._payment()
        self._currency()
        self._confirm()
        if self.confidence and self.locale.language:
            self.fields["language"] = self.locale.language
            self.confidence["language"] = FOUND
        return TextReading(InvoiceData.model_validate(self.fields), self.confidence)

    def _set(self, name: str, value: object, confidence: float) -> None:
        if value is None or name in self.fields:
            return
        self.fields[name] = value
        self.confidence[name] = confidence

    # Identifiers and dates.

    def _identifiers(self) -> None:
        for field_name in ("invoice_number", "purchase_order"):
            seen: list[str] = []
            for hit in self.page.hits_of(field_name):
                for value in self.page.values(hit):
                    identifier = _identifier(value)
                    if identifier:
                        seen.append(identifier)
                        break
            if seen:
                first = seen[0]
                # Printed twice (heading and reference, say) makes a misreading unlikely.
                self._set(field_name, first, 0.8 if seen.count(first) > 1 else FOUND)

    def _dates(self) -> None:
        day_first = self.locale.day_first
        for field_name in ("due_date", "issue_date"):
            for hit in self.page.hits_of(field_name):
                found = self._date_for(hit, day_first)
                if found:
                    self._set(field_name, found[0], FOUND)
                    break
        for hit in self.page.hits_of("service_period"):
            found = self._date_for(hit, day_first)
            if len(found) >= 2:
                self.fields["service_period"] = ServicePeriod(start=found[0], end=found[1])
                self.confidence["service_period"] = FOUND
                break
        if "issue_date" not in self.fields:
            for found_date in find_dates(self.text, day_first=day_first):
                if found_date.value != self.fields.get("due_date"):
                    self._set("issue_date", found_date.value, HEURISTIC)
                    break

    def _date_for(self, hit: LabelHit, day_first: bool | None) -> list[date]:
        for value in (self.page.value_beside(hit), self.page.value_below(hit)):
            found = find_dates(value, day_first=day_first)
            if found:
                return [item.value for item in found]
        return []

    # Amounts.

    def _outside_items(self, hits: Iterable[LabelHit]) -> list[LabelHit]:
        return [hit for hit in hits if hit.line not in self.items.table_lines]

    def _amount_after(self, hit: LabelHit) -> tuple[list[FoundAmount], str]:
        """The amounts between the label and the next label on its line (or just below)."""
        line = self.page.lines[hit.line]
        following = [h.start for h in self.page.hits[hit.line] if h.start >= hit.end]
        stop = min(following, default=len(line.text))
        after = _LETTER_DIGIT.sub(" ", line.text[hit.end : stop])
        without_rates = _blank_percentages(after)
        found = find_amounts(without_rates, decimal_hint=self.hint)
        if found or following or hit.line + 1 >= len(self.page.lines):
            return found, after
        below = self.page.lines[hit.line + 1]
        # Only a line holding nothing but an amount (and its currency) belongs to the label.
        if not self.page.hits[hit.line + 1] and not re.search(r"[A-Za-zÀ-ÿ]{4,}", below.text):
            return find_amounts(_blank_percentages(below.text), decimal_hint=self.hint), below.text
        return [], after

    def _labelled_amounts(self, kind: str) -> list[Decimal]:
        """The amount each label of the kind states, in reading order."""
        values = []
        for hit in self._outside_items(self.page.hits_of(kind)):
            found, _ = self._amount_after(hit)
            if found:
                with_cents = [amount for amount in found if amount.has_cents]
                values.append((with_cents or found)[-1].value)
        return values

    def _labelled_amount(self, kind: str) -> Decimal | None:
        values = self._labelled_amounts(kind)
        return values[0] if values else None

    def _totals(self) -> None:
        self._set("subtotal", self._labelled_amount("subtotal"), FOUND)
        self._set("amount_due", self._labelled_amount("amount_due"), FOUND)
        for kind in ("amount_paid", "discount", "shipping"):
            value = self._labelled_amount(kind)
            field_name = {"discount": "discount_total"}.get(kind, kind)
            self._set(field_name, abs(value) if value is not None else None, FOUND)

        tax_lines = self._tax_lines()
        # A tax amount alone ("Tax: 87.10") is the tax total, not a breakdown by rate.
        breakdown = [line for line in tax_lines if line.rate is not None or line.base is not None]
        if breakdown:
            self.fields["tax_breakdown"] = breakdown
            self.confidence["tax_breakdown"] = FOUND
        labelled_tax = self._labelled_amount("tax_total")
        if labelled_tax is not None:
            self._set("tax_total", labelled_tax, FOUND)
        elif tax_lines and all(line.amount is not None for line in tax_lines):
            total_tax = sum((line.amount or Decimal(0) for line in tax_lines), Decimal(0))
            self._set("tax_total", total_tax, FOUND if len(tax_lines) == 1 else HEURISTIC)
        self._choose_total(self._labelled_amounts("total"))
        if "total" not in self.fields and "amount_paid" not in self.fields:
            self._set("total", self.fields.get("amount_due"), HEURISTIC)

    def _choose_total(self, totals: list[Decimal]) -> None:
        """The total among the amounts labelled "total": the one the other amounts add up to.

        "Total" also names the net total in some layouts ("Total HT", misread by OCR): of two
        totals, a net one plus the tax gives the gross one.
        """
        if not totals:
            return
        subtotal = _decimal(self.fields.get("subtotal"))
        tax = _decimal(self.fields.get("tax_total"))
        if subtotal is not None and tax is not None and subtotal + tax in totals:
            self._set("total", subtotal + tax, FOUND)
            return
        if tax is not None:
            for net in totals:
                if net + tax in totals:
                    self._set("subtotal", net, HEURISTIC)
                    self._set("total", net + tax, FOUND)
                    return
        self._set("total", totals[0], FOUND)

    def _tax_lines(self) -> list[TaxLine]:
        lines: dict[tuple[Decimal | None, Decimal | None], TaxLine] = {}
        for hit in self._outside_items(self.page.hits_of("tax")):
            label = self.page.lines[hit.line].text[hit.start : hit.end]
            found, after = self._amount_after(hit)
            if not found:
                continue
            if not found[-1].has_cents:
                continue
            rates = find_percentages(label) or find_percentages(after)
            rate = rates[0][0] if rates else None
            marker = _BASE_WORD.search(after)
            # OCR lost the "%": the number before "on"/"auf"/"sur" is still the rate.
            before_base = marker is not None and found[0].end <= marker.start()
            if rate is None and before_base and len(found) >= 2 and 0 <= found[0].value <= 30:
                rate, found = found[0].value, found[1:]
            base = None
            if len(found) >= 2 and (marker or rate is not None):
                base = found[-2].value
            lines.setdefault((rate, base), TaxLine(rate=rate, base=base, amount=found[-1].value))
        for number, line in enumerate(self.page.lines):
            if number in self.items.table_lines:
                continue
            row = self._summary_row(line, number)
            if row is not None and all(row.rate != known.rate for known in lines.values()):
                lines[(row.rate, row.base)] = row
        return list(lines.values())

    def _summary_row(self, line: Line, number: int) -> TaxLine | None:
        """A row of a tax summary table: rate, net base, tax ("20 %  7 632,96  1 526,59")."""
        hits = self.page.hits[number]
        stop = min((hit.start for hit in hits), default=len(line.text))
        text = line.text[:stop]
        if not _SUMMARY_ROW.match(text):
            return None
        rates = find_percentages(text)
        amounts = find_amounts(_blank_percentages(text), decimal_hint=self.hint)
        if len(rates) != 1 or len(amounts) != 2:
            return None
        return TaxLine(rate=rates[0][0], base=amounts[0].value, amount=amounts[1].value)

    def _line_items(self) -> None:
        items = [reading.item for reading in self.items.items]
        if not items:
            return
        self.fields["line_items"] = items
        confirmed = sum(reading.confirmed for reading in self.items.items)
        self.confidence["line_items"] = CONFIRMED if confirmed == len(items) else FOUND

    # Vendor and customer.

    def _parties(self) -> None:
        first_table = min(self.items.table_lines, default=len(self.page.lines))
        stops = frozenset(self.items.table_lines)
        customer = self._customer(first_table, stops)
        vendor = self._vendor(first_table, stops, customer)
        for role, reading in (("vendor", vendor), ("customer", customer)):
            if reading is None or not reading.confidence:
                continue
            self.fields[role] = reading.party
            for field_name, value in reading.confidence.items():
                self.confidence[f"{role}.{field_name}"] = value

    def _customer(self, first_table: int, stops: frozenset[int]) -> PartyReading | None:
        for hit in self.page.hits_of("customer_block"):
            if hit.line >= first_table:
                continue
            line = self.page.lines[hit.line]
            cell_index, _ = line.cell_at(hit.start)
            beside = self.page.value_beside(hit)
            block = block_from(self.page, hit.line, line.cells[cell_index], stop_lines=stops)
            if beside and not block.texts and not re.search(r"[A-Za-z]{3}", beside):
                continue
            return party_from_block(self.page, block, name_given=beside or None)
        sender = sender_line(self.page.lines, first_table)
        if sender is not None:
            index, cell = sender
            return party_from_block(self.page, block_from(self.page, index, cell, stop_lines=stops))
        return None

    def _vendor(
        self, first_table: int, stops: frozenset[int], customer: PartyReading | None
    ) -> PartyReading | None:
        reading: PartyReading | None = None
        for hit in self.page.hits_of("vendor_block"):
            if hit.line >= first_table:
                continue
            line = self.page.lines[hit.line]
            cell_index, _ = line.cell_at(hit.start)
            beside = self.page.value_beside(hit)
            block = block_from(self.page, hit.line, line.cells[cell_index], stop_lines=stops)
            reading = party_from_block(self.page, block, name_given=beside or None)
            break
        if reading is None:
            top = first_block(self.page, before=first_table)
            if top is not None:
                index, cell = top
                block = block_from(self.page, index, cell, stop_lines=stops, any_edge=True)
                block = Block((index, *block.lines), (cell.text, *block.texts))
                reading = party_from_block(self.page, block)
        sender = sender_line(self.page.lines, first_table)
        from_sender = vendor_from_sender(sender[1]) if sender else None
        if reading is None and from_sender is None:
            return None
        if reading is None:
            reading = PartyReading(Party(), None, {})
        self._complete_vendor(reading, from_sender, customer)
        return reading

    def _complete_vendor(
        self, reading: PartyReading, sender: Party | None, customer: PartyReading | None
    ) -> None:
        """Fill what the vendor's block lacks from the sender line and the page footer."""
        taken = set(customer.block.lines) if customer and customer.block else set()
        own = set(reading.block.lines) if reading.block else set()
        updates: dict[str, str | None] = {}
        party = reading.party
        if sender is not None:
            if party.name is None:
                updates["name"] = sender.name
            if party.address is None:
                updates["address"] = sender.address
        outside = [hit for hit in self.page.hits_of("tax_id", "phone") if hit.line not in taken]
        if party.tax_id is None:
            for hit in outside:
                if hit.kind == "tax_id":
                    value = tax_id_in(self.page.lines[hit.line].text[hit.start :].split("\t")[0])
                    if value:
                        updates["tax_id"] = value
                        break
        if party.tax_id is None and "tax_id" not in updates:
            for number, line in enumerate(self.page.lines):
                found = tax_ids_in(line.text) if number not in taken else []
                if found:
                    updates["tax_id"] = found[0]
                    break
        if party.phone is None:
            for hit in outside:
                if hit.kind == "phone":
                    value = phone_after(self.page.value_beside(hit))
                    if value:
                        updates["phone"] = value
                        break
        if party.email is None:
            lines = [
                line.text
                for number, line in enumerate(self.page.lines)
                if number not in taken or number in own
            ]
            emails = emails_in(lines)
            if emails:
                updates["email"] = emails[0]
        if updates:
            reading.party = party.model_copy(update=updates)
            for key, value in updates.items():
                if value is not None:
                    reading.confidence.setdefault(key, HEURISTIC)

    # Payment.

    def _payment(self) -> None:
        payment: dict[str, str] = {}
        iban = self._iban()
        if iban is not None:
            payment["iban"] = iban
            self.confidence["payment.iban"] = 0.95
        else:
            for hit in self.page.hits_of("account_number"):
                digits = re.search(r"\d[\d\s-]{4,}\d", self.page.value_beside(hit))
                if digits:
                    payment["iban"] = digits.group(0).strip()
                    self.confidence["payment.iban"] = FOUND
                    break
        for hit in self.page.hits_of("bic"):
            found = _BIC.search(self.page.value_beside(hit).upper().replace(" ", ""))
            if found:
                payment["bic"] = found.group(0)
                self.confidence["payment.bic"] = FOUND
                break
        terms = self._terms()
        if terms:
            payment["terms"] = terms
            self.confidence["payment.terms"] = FOUND
        for hit in self.page.hits_of("reference"):
            value = self.page.value_beside(hit)
            if value and re.search(r"\d", value) and len(value) <= 60:
                payment["reference"] = value.strip()
                self.confidence["payment.reference"] = FOUND
                break
        if payment:
            self.fields["payment"] = Payment(**payment)

    def _iban(self) -> str | None:
        for hit in self.page.hits_of("iban"):
            value = self.page.value_beside(hit).upper()
            for match in _IBAN_CANDIDATE.finditer(value):
                iban = _valid_iban_prefix(match.group(0))
                if iban:
                    return iban
            # OCR may put a stray mark between the groups; the check digits vouch for the rest.
            compact = re.sub(r"[^A-Z0-9]", "", value)
            iban = _valid_iban_prefix(compact) if _IBAN_CANDIDATE.match(compact) else None
            if iban:
                return iban
        for match in _IBAN_CANDIDATE.finditer(self.text.upper()):
            iban = _valid_iban_prefix(match.group(0))
            if iban:
                return iban
        return None

    def _terms(self) -> str | None:
        widest = max((line.x1 for line in self.page.lines), default=0.0)
        for hit in self.page.hits_of("terms"):
            value = self.page.value_beside(hit)
            if not value or not re.search(r"[A-Za-zÀ-ÿ]", value):
                continue
            line = self.page.lines[hit.line]
            following = hit.line + 1
            # A terms sentence that reaches the right margin wraps onto the next line.
            if following < len(self.page.lines) and self._wraps_onto(line, following, widest):
                value = f"{value} {self.page.lines[following].text}"
            return value.strip(' "“”')
        return None

    def _wraps_onto(self, line: Line, following: int, widest: float) -> bool:
        """Whether a sentence on `line` goes on to the next line, as narrow receipts wrap it."""
        below = self.page.lines[following]
        if len(below.cells) != 1 or below.top - line.bottom >= line.height:
            return False
        if below.text[:1].islower() and len(below.text.split()) <= 4:
            return not find_amounts(below.text, decimal_hint=self.hint)
        return line.x1 >= 0.85 * widest and not self.page.hits[following]

    # Currency, then the arithmetic that confirms or questions the amounts.

    def _currency(self) -> None:
        totals = [
            self.page.lines[hit.line].text
            for hit in self.page.hits_of(*AMOUNT_KINDS)
            if hit.line not in self.items.table_lines
        ]
        for texts, confidence in ((totals, FOUND), ([self.text], HEURISTIC)):
            counts: Counter[str] = Counter()
            for text in texts:
                counts.update(currency_mentions(text))
            if counts:
                self._set("currency", counts.most_common(1)[0][0], confidence)
                return
        # Without a printed currency, the vendor's bank account or VAT id names the country.
        payment = self.fields.get("payment")
        vendor = self.fields.get("vendor")
        countries = [
            payment.iban[:2] if isinstance(payment, Payment) and payment.iban else "",
            vendor.tax_id[:2] if isinstance(vendor, Party) and vendor.tax_id else "",
        ]
        for country in countries:
            if country in _IBAN_CURRENCIES:
                self._set("currency", _IBAN_CURRENCIES[country], HEURISTIC)
            elif country in _EURO_COUNTRIES:
                self._set("currency", "EUR", HEURISTIC)

    def _confirm(self) -> None:
        subtotal = _decimal(self.fields.get("subtotal"))
        tax = _decimal(self.fields.get("tax_total"))
        total = _decimal(self.fields.get("total"))
        shipping = _decimal(self.fields.get("shipping")) or Decimal(0)
        discount = _decimal(self.fields.get("discount_total")) or Decimal(0)
        sums: tuple[Decimal, ...] = ()
        if subtotal is not None and tax is not None:
            sums = (subtotal + tax, subtotal + tax + shipping - discount)
        if total is not None and total in sums:
            # Three amounts that add up are very unlikely to be misread together.
            for name in ("subtotal", "tax_total", "total"):
                self.confidence[name] = CONFIRMED
        items = self.fields.get("line_items")
        amounts = [item.amount for item in items] if isinstance(items, list) else []
        line_sum = sum((a for a in amounts if a is not None), Decimal(0))
        if amounts and None not in amounts and line_sum == subtotal:
            self.confidence["line_items"] = CONFIRMED
            self.confidence["subtotal"] = CONFIRMED
        due = _decimal(self.fields.get("amount_due"))
        paid = _decimal(self.fields.get("amount_paid")) or Decimal(0)
        if due is not None and total is not None and total - paid == due:
            self.confidence["amount_due"] = CONFIRMED
            if "amount_paid" in self.fields:
                self.confidence["amount_paid"] = CONFIRMED


def _decimal(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _blank_percentages(text: str) -> str:
    for _, start, end in reversed(find_percentages(text)):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _identifier(value: str) -> str | None:
    """The first word of the value, when it looks like a number or code (it has a digit)."""
    tokens = value.replace("\t", " ").split()
    if not tokens:
        return None
    token = tokens[0].strip(".,;:()[]")
    if token.lower() in ("no", "nr", "n°", "#") and len(tokens) > 1:
        token = tokens[1].strip(".,;:()[]")
    if not re.search(r"\d", token) or len(token) > 40:
        return None
    if find_dates(token, day_first=True):
        return None
    return token


def _valid_iban_prefix(candidate: str) -> str | None:
    """The IBAN at the start of `candidate` whose check digits are right, as printed."""
    compact = candidate.replace(" ", "")
    country = compact[:2]
    lengths = [_IBAN_LENGTHS[country]] if country in _IBAN_LENGTHS else range(34, 14, -1)
    for length in lengths:
        if len(compact) >= length and iban_is_valid(compact[:length]):
            return _as_printed(candidate, length)
    return None


def _as_printed(candidate: str, length: int) -> str:
    taken = 0
    for index, char in enumerate(candidate):
        if char != " ":
            taken += 1
        if taken == length:
            return candidate[: index + 1].strip()
    return candidate.strip()


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 check: moved to the end and read as a number, the IBAN leaves 1 mod 97."""
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1
