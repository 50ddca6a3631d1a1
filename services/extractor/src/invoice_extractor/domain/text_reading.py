"""Reading invoice fields off a PDF's text layer with rules, for users without an OpenAI key.

It finds what most invoices print with a label (invoice number, dates, subtotal, tax, total)
in English and German layouts. It does not read line items or addresses: the LLM does that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoice_contracts.extraction import InvoiceData, Party

FOUND = 0.6
HEURISTIC = 0.4
CONFIRMED = 0.9

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "januar", "jänner"),
            ("february", "feb", "februar"),
            ("march", "mar", "märz", "maerz", "mrz"),
            ("april", "apr"),
            ("may", "mai"),
            ("june", "jun", "juni"),
            ("july", "jul", "juli"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct", "oktober", "okt"),
            ("november", "nov"),
            ("december", "dec", "dezember", "dez"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_DAY_FIRST_DATE = re.compile(r"(?<![\d.])(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})\b")
_MONTH_FIRST_DATE = re.compile(
    rf"\b(?P<mon>{_MONTH_NAMES})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
    re.IGNORECASE,
)
_DAY_MONTH_DATE = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon>{_MONTH_NAMES})\.?,?\s+(?P<y>\d{{4}})\b",
    re.IGNORECASE,
)
_DATE_PATTERNS = (_ISO_DATE, _DAY_FIRST_DATE, _MONTH_FIRST_DATE, _DAY_MONTH_DATE)

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.,])"
    r"(?P<sign>-)?"
    r"(?P<int>\d{1,3}(?:(?P<sep>[.,'\u2019])\d{3})(?:(?P=sep)\d{3})*|\d+)"
    r"(?:(?P<dec>[.,])(?P<frac>\d{1,2}))?"
    r"(?![\d.,]*\d)(?!\s?%)"
)

_CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK")
_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD", "¥": "JPY"}
_CURRENCY = re.compile(r"\b(?P<code>" + "|".join(_CURRENCY_CODES) + r")\b|(?P<symbol>[€£$¥])")


def _labels(*labels: str) -> re.Pattern[str]:
    """Labels at the start of a line: a label in the middle is usually running text."""
    return re.compile(r"^\s*(?:" + "|".join(labels) + r")(?![a-zäöüß])", re.IGNORECASE)


_INVOICE_NUMBER = re.compile(
    r"\b(?:invoice\s*(?:number|no\.?|nr\.?|num\.?|id|#)|invoice\s*:|"
    r"rechnungs\s*-?\s*(?:nummer|nr\.?)|rechnung\s*(?:nr\.?|nummer|#)|beleg\s*-?\s*nr\.?)"
    r"\s*[:#.]?\s*(?P<value>[A-Za-z0-9][A-Za-z0-9\-/._]*)",
    re.IGNORECASE,
)
_DUE_LABEL = re.compile(
    r"\b(?:due\s+date|date\s+due|payment\s+due|due\s+by|due\s+on|due|"
    r"fälligkeitsdatum|fällig\s+am|fällig\s+bis|fällig|zahlbar\s+bis)(?![a-zäöüß])",
    re.IGNORECASE,
)
_ISSUE_LABEL = re.compile(
    r"\b(?:invoice\s+date|issue\s+date|date\s+of\s+issue|issued\s+on|"
    r"rechnungsdatum|ausstellungsdatum|date|datum)(?![a-zäöüß])",
    re.IGNORECASE,
)
_AMOUNT_DUE = _labels(
    r"amount\s+due", r"balance\s+due", r"total\s+due", r"amount\s+payable",
    r"zahlbetrag", r"zu\s+zahlen", r"offener\s+betrag",
)  # fmt: skip
_SUBTOTAL = _labels(
    r"sub-?\s?total", r"net\s+amount", r"net\s+total", r"total\s+net", r"total\s+excl\.?",
    r"zwischensumme", r"nettobetrag", r"nettosumme", r"summe\s+netto", r"gesamt\s+netto",
    r"netto",
)  # fmt: skip
_TAX = re.compile(
    r"^\s*(?:zzgl\.?\s+|plus\s+|total\s+)?(?:\d+(?:[.,]\d+)?\s*%\s*)?"
    r"(?:vat|sales\s+tax|tax|mwst|ust|umsatzsteuer|mehrwertsteuer)(?![a-zäöüß])"
    r"(?![\s.-]*(?:id|nr|no\b|number|reg))",
    re.IGNORECASE,
)
_TOTAL = _labels(
    r"grand\s+total", r"invoice\s+total", r"total\s+amount", r"total",
    r"gesamtbetrag", r"rechnungsbetrag", r"endbetrag", r"gesamtsumme", r"bruttobetrag",
    r"summe\s+brutto", r"gesamt\s+brutto", r"summe", r"gesamt",
)  # fmt: skip
_GERMAN_HINTS = re.compile(
    r"\b(?:rechnung|mwst|ust|umsatzsteuer|gesamtbetrag|summe|netto|datum)\b", re.IGNORECASE
)
_ENGLISH_HINTS = re.compile(r"\b(?:invoice|total|subtotal|vat|amount|due)\b", re.IGNORECASE)
_TITLES = {"invoice", "tax invoice", "rechnung", "proforma invoice", "credit note", "gutschrift"}


@dataclass(frozen=True)
class TextReading:
    data: InvoiceData
    confidence: dict[str, float]

    @property
    def found_anything(self) -> bool:
        return bool(self.confidence)


def parse_amount(text: str) -> Decimal | None:
    """The one amount in `text` ("1.234,56", "1,234.56", "-12.5"), or None."""
    amounts = list(_amounts(text))
    return amounts[0][0] if len(amounts) == 1 else None


def _amounts(line: str) -> Iterable[tuple[Decimal, bool]]:
    """Each amount in the line and whether it was printed with decimals."""
    for match in _NUMBER.finditer(line):
        separator, decimal_mark = match["sep"], match["dec"]
        if separator and decimal_mark == separator:
            continue
        digits = match["int"].replace(separator, "") if separator else match["int"]
        text = digits + ("." + match["frac"] if match["frac"] else "")
        value = Decimal(text)
        yield (-value if match["sign"] else value), bool(match["frac"])


def _without_dates(line: str) -> str:
    for pattern in _DATE_PATTERNS:
        line = pattern.sub(lambda m: " " * len(m.group(0)), line)
    return line


def _money(line: str) -> Decimal | None:
    """The amount a labelled line states: its rightmost amount, preferring ones with cents."""
    amounts = list(_amounts(_without_dates(line)))
    with_cents = [value for value, has_cents in amounts if has_cents]
    if with_cents:
        return with_cents[-1]
    return amounts[-1][0] if amounts else None


def parse_date(text: str) -> date | None:
    found = _dates_from(text, 0)
    return found[0][0] if found else None


def _dates_from(line: str, start: int) -> list[tuple[date, int]]:
    """The dates at or after `start`, in reading order, each with where it ends."""
    found: list[tuple[int, date, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(line, start):
            month = match.groupdict().get("mon")
            try:
                value = date(
                    int(match["y"]),
                    _MONTHS[month.lower()] if month else int(match["m"]),
                    int(match["d"]),
                )
            except ValueError:
                continue
            found.append((match.start(), value, match.end()))
    return [(value, end) for _, value, end in sorted(found, key=lambda item: item[0])]


def _date_after_label(line: str, label: re.Pattern[str]) -> tuple[date, int, int] | None:
    """The first date following the label, with the span from label to date."""
    for match in label.finditer(line):
        following = _dates_from(line, match.end())
        if following:
            value, end = following[0]
            return value, match.start(), end
    return None


def _field_line(
    lines: list[str], label: re.Pattern[str], excluded: Iterable[re.Pattern[str]] = ()
) -> tuple[int, Decimal] | None:
    """The first line that starts with the label and states an amount, on it or just below."""
    exclusions = tuple(excluded)
    for index, line in enumerate(lines):
        if not label.search(line) or any(other.search(line) for other in exclusions):
            continue
        amount = _money(line)
        if amount is None and index + 1 < len(lines):
            following = lines[index + 1]
            # Only a line that holds nothing but an amount (and its currency) belongs to it.
            if not re.search(r"[A-Za-zÄÖÜäöüß]{2,}", _CURRENCY.sub("", following)):
                amount = _money(following)
        if amount is not None:
            return index, amount
    return None


def _currency(text: str) -> str | None:
    match = _CURRENCY.search(text)
    if match is None:
        return None
    return match["code"] or _CURRENCY_SYMBOLS[match["symbol"]]


def _vendor_name(lines: list[str]) -> str | None:
    for line in lines:
        candidate = line.strip()
        if not candidate or candidate.lower().rstrip(":") in _TITLES:
            continue
        if _INVOICE_NUMBER.search(candidate):
            continue
        return candidate[:200]
    return None


def read_invoice_text(text: str) -> TextReading:
    """The fields the text states, each with a confidence; absent fields stay null."""
    lines = [line for line in text.splitlines() if line.strip()]
    confidence: dict[str, float] = {}
    fields: dict[str, object] = {}

    for line in lines:
        match = _INVOICE_NUMBER.search(line)
        if match and re.search(r"\d", match["value"]):
            fields["invoice_number"] = match["value"].rstrip(".,;:/-")
            confidence["invoice_number"] = FOUND
            break

    for line in lines:
        due = _date_after_label(line, _DUE_LABEL)
        if due is not None:
            if "due_date" not in fields:
                fields["due_date"] = due[0]
                confidence["due_date"] = FOUND
            # Blank out the due date and its label so "Due date" is not read as an issue date.
            line = line[: due[1]] + " " * (due[2] - due[1]) + line[due[2] :]
        if "issue_date" not in fields:
            issued = _date_after_label(line, _ISSUE_LABEL)
            if issued is not None and issued[0] != fields.get("due_date"):
                fields["issue_date"] = issued[0]
                confidence["issue_date"] = FOUND
    if "issue_date" not in fields:
        for value, _ in _dates_from(text, 0):
            if value != fields.get("due_date"):
                fields["issue_date"] = value
                confidence["issue_date"] = HEURISTIC
                break

    amount_due = _field_line(lines, _AMOUNT_DUE)
    subtotal = _field_line(lines, _SUBTOTAL, excluded=[_AMOUNT_DUE])
    tax = _field_line(lines, _TAX, excluded=[_AMOUNT_DUE, _SUBTOTAL])
    total = _field_line(lines, _TOTAL, excluded=[_AMOUNT_DUE, _SUBTOTAL, _TAX])
    for name, found in (
        ("amount_due", amount_due),
        ("subtotal", subtotal),
        ("tax_total", tax),
        ("total", total),
    ):
        if found is not None:
            fields[name] = found[1]
            confidence[name] = FOUND
    if total is None and amount_due is not None:
        fields["total"] = amount_due[1]
        confidence["total"] = HEURISTIC
    if subtotal and tax and "total" in fields and subtotal[1] + tax[1] == fields["total"]:
        # Three amounts that add up are very unlikely to be misread together.
        for name in ("subtotal", "tax_total", "total"):
            confidence[name] = CONFIRMED

    total_line = lines[total[0]] if total else ""
    currency = _currency(total_line) or _currency(text)
    if currency:
        fields["currency"] = currency
        confidence["currency"] = FOUND

    vendor = _vendor_name(lines)
    if vendor:
        fields["vendor"] = Party(name=vendor)
        confidence["vendor.name"] = HEURISTIC

    if confidence:
        if len(_GERMAN_HINTS.findall(text)) > len(_ENGLISH_HINTS.findall(text)):
            fields["language"] = "de"
        elif _ENGLISH_HINTS.search(text):
            fields["language"] = "en"

    return TextReading(data=InvoiceData.model_validate(fields), confidence=confidence)
