"""Amounts, dates, currencies and the document's conventions, read from printed text.

Pure functions shared by the offline reader and by the LLM path, which runs `normalize_answer`
on a model's raw JSON before validating it. Amounts are exact decimals from start to end: a
float never holds one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

Language = Literal["en", "de", "fr"]
DecimalSeparator = Literal[".", ","]

# Grouping marks printed between thousands: apostrophes (Swiss), spaces of every width.
_GROUPING_MARKS = "'\u2019 \u00a0\u202f\u2009"
_MINUS_SIGNS = "-\u2212\u2013"

# Active ISO 4217 codes; a three-letter word outside this set is not a currency.
# fmt: off
ISO_4217 = frozenset((
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
    "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN",
    "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN",
    "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
    "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
))
# fmt: on

# Symbols and local abbreviations, longest first so that "US$" wins over "$".
_CURRENCY_SIGNS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("R$", "BRL"),
    ("SFr.", "CHF"),
    ("Fr.", "CHF"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("$", "USD"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₽", "RUB"),
    ("zł", "PLN"),
    ("Kč", "CZK"),
)
_CURRENCY_SIGN = re.compile(
    "|".join(
        re.escape(sign) + (r"(?![A-Za-z])" if sign[-1].isalpha() else "")
        for sign, _ in _CURRENCY_SIGNS
    )
)
_ISO_WORD = re.compile(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])")
# "kr" is the krona and the krone alike; only a country next to it tells which.
_KRONA = re.compile(r"(?<![A-Za-z])(?P<country>[SND])?kr\.?(?![A-Za-z])", re.IGNORECASE)
_KRONA_COUNTRIES = (
    (re.compile(r"sverige|sweden|schweden|suède|\bSE\d{2}", re.IGNORECASE), "SEK"),
    (re.compile(r"norge|norway|norwegen|norvège|\bNO\d{2}", re.IGNORECASE), "NOK"),
    (re.compile(r"danmark|denmark|dänemark|danemark|\bDK\d{2}", re.IGNORECASE), "DKK"),
    (re.compile(r"ísland|iceland|island|islande|\bIS\d{2}", re.IGNORECASE), "ISK"),
)
_KRONA_PREFIXES = {"s": "SEK", "n": "NOK", "d": "DKK"}


def _strip_currency(text: str) -> str:
    text = _CURRENCY_SIGN.sub(" ", text)
    text = _ISO_WORD.sub(lambda m: " " if m.group(0) in ISO_4217 else m.group(0), text)
    return _KRONA.sub(" ", text)


_SIGNED = re.compile(
    rf"^(?P<open>\()?\s*(?P<lead>[{_MINUS_SIGNS}+])?\s*"
    rf"(?P<number>\d[\d.,{_GROUPING_MARKS}]*)"
    rf"\s*(?P<trail>[{_MINUS_SIGNS}])?\s*(?P<close>\))?$"
)


def parse_amount(text: str, *, decimal_hint: str | None = None) -> Decimal | None:
    """The amount `text` prints, exactly, or None when it is not one amount.

    Currency signs and codes around the number are ignored; "(12.00)" and "12.00-" are
    negative. A lone separator before exactly three digits ("1,234") is a decimal mark only
    when `decimal_hint`, the document's decimal separator, says so.
    """
    # A full stop or colon after the number is punctuation, as in "4025,83.EUR" or "12.50:".
    match = _SIGNED.match(_strip_currency(text).strip().rstrip(".:;"))
    if match is None or bool(match["open"]) != bool(match["close"]):
        return None
    value = _unsigned(match["number"].strip(_GROUPING_MARKS), decimal_hint)
    if value is None:
        return None
    lead_minus = match["lead"] is not None and match["lead"] in _MINUS_SIGNS
    if lead_minus and match["trail"]:
        return None
    negative = bool(match["open"]) or lead_minus or bool(match["trail"])
    return -value if negative else value


def _unsigned(number: str, decimal_hint: str | None) -> Decimal | None:
    separators = [(index, char) for index, char in enumerate(number) if char in ".,"]
    decimal_at: int | None = None
    if separators:
        last_index, last = separators[-1]
        digits_after = len(number) - last_index - 1
        if len({char for _, char in separators}) == 2:
            decimal_at = last_index
        elif len(separators) > 1:
            decimal_at = None
        elif (
            any(char in _GROUPING_MARKS for char in number)
            or digits_after != 3
            or number[:last_index] == "0"
        ):
            decimal_at = last_index
        elif decimal_hint in (".", ","):
            decimal_at = last_index if decimal_hint == last else None
    whole = number if decimal_at is None else number[:decimal_at]
    fraction = "" if decimal_at is None else number[decimal_at + 1 :]
    if decimal_at is not None and not fraction.isdigit():
        return None
    if not _well_grouped(whole):
        return None
    digits = "".join(char for char in whole if char.isdigit())
    return Decimal(digits + ("." + fraction if fraction else ""))


def _well_grouped(whole: str) -> bool:
    """Digits alone, or groups of three after a first group of one to three, one mark kind."""
    if whole.isdigit():
        return True
    groups = re.split(rf"[.,{_GROUPING_MARKS}]", whole)
    marks = {char for char in whole if not char.isdigit()}
    if len(marks - set(" \u00a0\u202f\u2009")) > 1:
        return False
    return (
        all(group.isdigit() for group in groups)
        and 1 <= len(groups[0]) <= 3
        and all(len(group) == 3 for group in groups[1:])
    )


@dataclass(frozen=True)
class FoundAmount:
    value: Decimal
    start: int
    end: int
    has_cents: bool


_TOKEN = re.compile(r"[^ \t]+")
_PERCENT_AFTER = re.compile(r"^\s?%")
_SPACE_GROUP_TAIL = re.compile(r"^\d{3}(?:[.,]\d{1,2})?[)]?[-\u2212]?$")
_SPACE_GROUP_HEAD = re.compile(r"^[(\-\u2212]?\D{0,3}?\d{1,3}$")


def find_amounts(
    text: str, *, decimal_hint: str | None = None, space_grouping: bool = True
) -> list[FoundAmount]:
    """Every amount printed in `text`, in reading order; percentages are not amounts.

    "7 632,96" is one amount only when `space_grouping` allows it and the number has decimals:
    otherwise "12 100,00" (a quantity, then a price) would be read as twelve thousand.
    """
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    found: list[FoundAmount] = []
    index = 0
    while index < len(tokens):
        start, end, token = tokens[index]
        step = 1
        if space_grouping:
            joined_end = end
            parts = [token]
            while (
                index + step < len(tokens)
                and _SPACE_GROUP_HEAD.match(parts[0] if step == 1 else "000")
                and not re.search(r"[.,]", parts[-1] if step > 1 else "")
                and _SPACE_GROUP_TAIL.match(tokens[index + step][2])
                and tokens[index + step][0] == joined_end + 1
            ):
                parts.append(tokens[index + step][2])
                joined_end = tokens[index + step][1]
                step += 1
            if step > 1 and re.search(r"[.,]\d{1,2}[)]?[-\u2212]?$", parts[-1]):
                value = parse_amount(" ".join(parts), decimal_hint=decimal_hint)
                if value is not None and not _PERCENT_AFTER.match(text[joined_end:]):
                    found.append(FoundAmount(value, start, joined_end, True))
                    index += step
                    continue
            step = 1
        cleaned = token.rstrip(":;")
        if not cleaned.endswith("%") and not _PERCENT_AFTER.match(text[end:]):
            if cleaned.endswith(".") and not cleaned.endswith(".-"):
                cleaned = cleaned[:-1]
            value = parse_amount(cleaned, decimal_hint=decimal_hint)
            if value is not None:
                cents = bool(re.search(r"\d[.,]\d{1,2}(?!\d)", cleaned))
                found.append(FoundAmount(value, start, end, cents))
        index += step
    return found


_PERCENT = re.compile(r"(?<!\d)(?<!\d[.,])(?P<number>\d{1,3}(?:[.,]\d{1,3})?)\s?%")


def find_percentages(text: str) -> list[tuple[Decimal, int, int]]:
    """Each percentage printed in `text` ("19 %", "8.25%", "7,5%") with its span."""
    return [
        (Decimal(m["number"].replace(",", ".")), m.start(), m.end())
        for m in _PERCENT.finditer(text)
    ]


def parse_percent(text: str) -> Decimal | None:
    found = find_percentages(text)
    if len(found) == 1:
        return found[0][0]
    value = parse_amount(text.strip())
    return value if value is not None and 0 <= value <= 100 else None


# Month names in English, German and French, with their usual abbreviations and the spellings
# that OCR leaves when it drops an accent.
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "jänner", "janner", "janvier", "janv"),
    2: ("february", "feb", "februar", "feber", "février", "fevrier", "févr", "fevr", "fév"),
    3: ("march", "mar", "märz", "marz", "maerz", "mrz", "mär", "mars"),
    4: ("april", "apr", "avril", "avr"),
    5: ("may", "mai"),
    6: ("june", "jun", "juni", "juin"),
    7: ("july", "jul", "juli", "juillet", "juil"),
    8: ("august", "aug", "août", "aout"),
    9: ("september", "sep", "sept", "septembre"),
    10: ("october", "oct", "oktober", "okt", "octobre"),
    11: ("november", "nov", "novembre"),
    12: ("december", "dec", "dezember", "dez", "décembre", "decembre", "déc"),
}
_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|er|e)?"

_ISO = re.compile(r"(?<![\d.])(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d])")
_DOTTED = re.compile(r"(?<![\d.])(?P<a>\d{1,2})\.\s?(?P<b>\d{1,2})\.\s?(?P<y>\d{4}|\d{2})(?![\d])")
_SLASHED = re.compile(
    r"(?<![\d/-])(?P<a>\d{1,2})(?P<s>[/-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})(?!\d)"
)
_DAY_MONTH = re.compile(
    rf"(?<![\d])(?P<d>\d{{1,2}}){_ORDINAL}\.?[\s-]*(?P<mon>{_MONTH})\.?[\s,-]*(?P<y>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"(?<![A-Za-zÀ-ÿ])(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}}){_ORDINAL}(?:,\s*|\s+)(?P<y>\d{{4}})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int
    end: int


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, *, day_first: bool | None) -> list[FoundDate]:
    """Every date printed in `text`, in reading order.

    "03/05/2024" is read as `day_first` says; without that, only when one part exceeds 12.
    Dotted dates ("05.03.2024") are day first everywhere they are printed.
    """
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, start: int, end: int) -> None:
        if value is None or any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(FoundDate(value, start, end))

    for match in _MONTH_DAY.finditer(text):
        month = _MONTHS[match["mon"].lower()]
        add(_make_date(int(match["y"]), month, int(match["d"])), match.start(), match.end())
    for match in _DAY_MONTH.finditer(text):
        month = _MONTHS[match["mon"].lower()]
        add(_make_date(_year(match["y"]), month, int(match["d"])), match.start(), match.end())
    for match in _ISO.finditer(text):
        add(_make_date(int(match["y"]), int(match["m"]), int(match["d"])), *match.span())
    for match in _DOTTED.finditer(text):
        add(_make_date(_year(match["y"]), int(match["b"]), int(match["a"])), *match.span())
    for match in _SLASHED.finditer(text):
        first, second = int(match["a"]), int(match["b"])
        order = day_first
        if first > 12 >= second:
            order = True
        elif second > 12 >= first:
            order = False
        if order is None:
            continue
        day, month = (first, second) if order else (second, first)
        add(_make_date(_year(match["y"]), month, day), *match.span())
    return sorted(found, key=lambda item: item.start)


def parse_date(text: str, *, day_first: bool | None = None) -> date | None:
    """The first date printed in `text`, or None (also when its day and month are ambiguous)."""
    found = find_dates(text, day_first=day_first)
    return found[0].value if found else None


def currency_code(text: str) -> str | None:
    """The ISO 4217 code of the currency `text` names by code, symbol or abbreviation."""
    for match in _ISO_WORD.finditer(text):
        if match.group(0) in ISO_4217:
            return match.group(0)
    sign = _CURRENCY_SIGN.search(text)
    if sign is not None:
        return dict(_CURRENCY_SIGNS)[sign.group(0)]
    krona = _KRONA.search(text)
    if krona is not None:
        if krona["country"]:
            return _KRONA_PREFIXES[krona["country"].lower()]
        for pattern, code in _KRONA_COUNTRIES:
            if pattern.search(text):
                return code
    return None


def currency_mentions(text: str) -> Counter[str]:
    """How often each currency is named in `text` (codes, symbols, local abbreviations)."""
    counts: Counter[str] = Counter()
    for match in _ISO_WORD.finditer(text):
        if match.group(0) in ISO_4217:
            counts[match.group(0)] += 1
    signs = dict(_CURRENCY_SIGNS)
    for match in _CURRENCY_SIGN.finditer(text):
        # "US$" also contains "$"; the pattern takes the longest sign first, so no double count.
        counts[signs[match.group(0)]] += 1
    return counts


@dataclass(frozen=True)
class DocumentLocale:
    """How the document writes: its language, date order and decimal separator, where known."""

    language: Language | None = None
    day_first: bool | None = None
    decimal_separator: DecimalSeparator | None = None


_KEYWORDS: dict[Language, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:invoice|tax|total|subtotal|amount\s+due|balance\s+due|bill\s+to|due\s+date|"
        r"qty|quantity|description|unit\s+price|payment|terms|thank\s+you|vat)\b",
        re.IGNORECASE,
    ),
    "de": re.compile(
        r"(?<![a-zäöüß])(?:rechnung\w*|mwst|ust|betrag|gesamtbetrag|nettobetrag|zahlbetrag|"
        r"f[äa]llig|datum|menge|einzelpreis|bezeichnung|zahlungsbedingungen|bitte|vielen\s+dank|"
        r"sehr\s+geehrte|steuer\w*|summe|netto|brutto|zzgl|gesamt)(?![a-zäöüß])",
        re.IGNORECASE,
    ),
    "fr": re.compile(
        r"(?<![a-zàâçéèêëîïôûùüÿ])(?:facture|tva|montant|total\s+ht|total\s+ttc|[ée]ch[ée]ance|"
        r"date\s+de|quantit[ée]|d[ée]signation|prix\s+unitaire|conditions|merci|[àa]\s+payer|"
        r"net\s+[àa]\s+payer|client|sous-total|r[ée]f[ée]rence|fournisseur|qt[ée])"
        r"(?![a-zàâçéèêëîïôûùüÿ])",
        re.IGNORECASE,
    ),
}
_DECIMAL_MARK = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[.,'\u2019 \u00a0\u202f]\d{3})*([.,])\d{2}(?![.,]?\d)"
)
_SLASHED_ANY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{2,4})(?![\d/])")
_US_HINTS = re.compile(
    r"\b(?:[A-Z]{2}\s\d{5}(?:-\d{4})?|EIN|sales\s+tax|routing\s+no|USD)\b|US\$|(?<![A-Z])\$",
)
_DAY_FIRST_ENGLISH_HINTS = re.compile(
    r"\b(?:VAT|GBP|EUR|CHF|AUD|NZD|GST|IE\d|GB\d|IBAN)\b|£|€",
)


def detect_locale(text: str) -> DocumentLocale:
    """The document's language, date order and decimal separator, from what it prints."""
    scores = [(len(pattern.findall(text)), name) for name, pattern in _KEYWORDS.items()]
    scores.sort(reverse=True)
    language: Language | None = None
    if scores[0][0] > 0 and scores[0][0] != scores[1][0]:
        language = scores[0][1]

    marks = Counter(match.group(1) for match in _DECIMAL_MARK.finditer(text))
    separator: DecimalSeparator | None = None
    if marks["."] != marks[","]:
        separator = "." if marks["."] > marks[","] else ","

    day_first: bool | None = None
    for first, second, _ in _SLASHED_ANY.findall(text):
        if int(first) > 12 >= int(second):
            day_first = True
            break
        if int(second) > 12 >= int(first):
            day_first = False
            break
    if day_first is None and language is not None:
        if language != "en":
            day_first = True
        elif _US_HINTS.search(text) and not _DAY_FIRST_ENGLISH_HINTS.search(text):
            day_first = False
        elif _DAY_FIRST_ENGLISH_HINTS.search(text):
            day_first = True
    return DocumentLocale(language=language, day_first=day_first, decimal_separator=separator)


# The fields of InvoiceData by kind, so that a model's loose answer can be put into shape.
_AMOUNT_FIELDS = frozenset(
    {"subtotal", "tax_total", "discount_total", "shipping", "total", "amount_due", "amount_paid"}
)
_DATE_FIELDS = frozenset({"issue_date", "due_date"})
_TEXT_FIELDS = frozenset({"invoice_number", "purchase_order", "language"})
_PARTY_FIELDS = ("name", "address", "tax_id", "email", "phone")
_TAX_LINE_AMOUNTS = ("rate", "base", "amount")
_LINE_ITEM_AMOUNTS = ("quantity", "unit_price", "tax_rate", "amount")
_LINE_ITEM_TEXTS = ("description", "code", "unit")
_PAYMENT_FIELDS = ("terms", "iban", "bic", "reference")
_RATE_FIELDS = frozenset({"rate", "tax_rate"})


def normalize_answer(
    raw: Mapping[str, Any], *, locale: DocumentLocale | None = None
) -> dict[str, Any]:
    """A model's raw JSON answer put into InvoiceData's shape, ready for validation.

    Numbers and formatted amounts become canonical decimal strings, dates become ISO, currency
    signs become codes and blank strings become null. A value that cannot be read is dropped to
    null rather than failing the whole answer; keys InvoiceData does not know are left out.
    """
    locale = locale or _answer_locale(raw)
    hint = locale.decimal_separator
    day_first = locale.day_first
    answer: dict[str, Any] = {}
    for name in _AMOUNT_FIELDS:
        if name in raw:
            answer[name] = _amount(raw[name], hint)
    for name in _DATE_FIELDS:
        if name in raw:
            answer[name] = _date(raw[name], day_first)
    for name in _TEXT_FIELDS:
        if name in raw:
            answer[name] = _text(raw[name])
    if answer.get("language"):
        answer["language"] = str(answer["language"]).lower()[:2]
    if "currency" in raw:
        answer["currency"] = _currency(raw["currency"])
    for name in ("vendor", "customer"):
        if name in raw:
            answer[name] = _object(raw[name], _PARTY_FIELDS, (), hint)
    if "service_period" in raw:
        period = raw["service_period"]
        answer["service_period"] = (
            {key: _date(period.get(key), day_first) for key in ("start", "end")}
            if isinstance(period, Mapping)
            else None
        )
    if "payment" in raw:
        answer["payment"] = _object(raw["payment"], _PAYMENT_FIELDS, (), hint)
    if "tax_breakdown" in raw:
        answer["tax_breakdown"] = _items(raw["tax_breakdown"], (), _TAX_LINE_AMOUNTS, hint)
    if "line_items" in raw:
        answer["line_items"] = _items(raw["line_items"], _LINE_ITEM_TEXTS, _LINE_ITEM_AMOUNTS, hint)
    return answer


def _answer_locale(raw: Mapping[str, Any]) -> DocumentLocale:
    """The conventions the answer's own strings show, when the document's are not known.

    Its amounts tell the decimal separator; its dates with a day past 12 tell the order, and
    otherwise its language and currency do (only American invoices put the month first).
    """
    amounts = " ".join(
        str(raw.get(name)) for name in _AMOUNT_FIELDS if isinstance(raw.get(name), str)
    )
    dates = " ".join(str(raw.get(name)) for name in _DATE_FIELDS if isinstance(raw.get(name), str))
    found = detect_locale(f"{amounts}\n{dates}")
    day_first = found.day_first
    if day_first is None:
        language = str(raw.get("language") or "").lower()[:2]
        currency = _currency(raw.get("currency"))
        if language in ("de", "fr") or currency in ("EUR", "GBP", "CHF"):
            day_first = True
        elif currency == "USD" and language in ("en", ""):
            day_first = False
    return DocumentLocale(None, day_first, found.decimal_separator)


def _amount(value: Any, hint: str | None, *, rate: bool = False) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number: Decimal | None = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # The shortest repr is the literal the JSON carried: no binary noise enters.
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        number = parse_percent(text) if rate and "%" in text else None
        if number is None:
            number = parse_amount(text, decimal_hint=hint)
    else:
        return None
    if number is None or not number.is_finite():
        return None
    return format(number, "f")


def _date(value: Any, day_first: bool | None) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    found = parse_date(value, day_first=day_first)
    return found.isoformat() if found else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def _currency(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    upper = text.upper()
    if upper in ISO_4217:
        return upper
    return currency_code(text)


def _object(
    value: Any, texts: tuple[str, ...], amounts: tuple[str, ...], hint: str | None
) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    shaped: dict[str, Any] = {key: _text(value.get(key)) for key in texts if key in value}
    for key in amounts:
        if key in value:
            shaped[key] = _amount(value[key], hint, rate=key in _RATE_FIELDS)
    return shaped if any(item is not None for item in shaped.values()) else None


def _items(
    value: Any, texts: tuple[str, ...], amounts: tuple[str, ...], hint: str | None
) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    shaped = (_object(item, texts, amounts, hint) for item in value)
    return [item for item in shaped if item is not None]
