"""How an invoice writes its numbers, dates and money in each of the dataset's locales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class NumberStyle(StrEnum):
    """Grouping and decimal separators; each value is 1234.56 written in that style."""

    COMMA_DOT = "1,234.56"
    DOT_COMMA = "1.234,56"
    SPACE_COMMA = "1 234,56"
    APOSTROPHE_DOT = "1'234.56"


class DateStyle(StrEnum):
    ISO = "2024-03-05"
    DAY_DOT = "05.03.2024"
    DAY_SLASH = "05/03/2024"
    MONTH_SLASH = "03/05/2024"
    LONG = "5 March 2024"


class CurrencyDisplay(StrEnum):
    SYMBOL = "symbol"
    CODE = "code"


@dataclass(frozen=True)
class InvoiceLocale:
    """Where an invoice comes from: its language, country, currency and customs."""

    tag: str
    language: str
    country: str
    currency: str
    number_styles: tuple[NumberStyle, ...]
    date_styles: tuple[DateStyle, ...]
    tax_rates: tuple[Decimal, ...]


def _locale(
    tag: str,
    currency: str,
    numbers: tuple[NumberStyle, ...],
    dates: tuple[DateStyle, ...],
    rates: tuple[str, ...],
) -> InvoiceLocale:
    language, country = tag.split("-")
    return InvoiceLocale(
        tag, language, country, currency, numbers, dates, tuple(Decimal(r) for r in rates)
    )


_N, _D = NumberStyle, DateStyle
LOCALES: dict[str, InvoiceLocale] = {
    locale.tag: locale
    for locale in (
        _locale("en-US", "USD", (_N.COMMA_DOT,), (_D.MONTH_SLASH, _D.LONG, _D.ISO), ("8.25", "0")),
        _locale("en-GB", "GBP", (_N.COMMA_DOT,), (_D.DAY_SLASH, _D.LONG, _D.ISO), ("20", "5", "0")),
        _locale("en-IE", "EUR", (_N.COMMA_DOT,), (_D.DAY_SLASH, _D.LONG, _D.ISO), ("23", "13.5")),
        _locale("en-CH", "CHF", (_N.APOSTROPHE_DOT,), (_D.DAY_DOT, _D.ISO), ("8.1", "2.6")),
        _locale("de-DE", "EUR", (_N.DOT_COMMA,), (_D.DAY_DOT, _D.LONG, _D.ISO), ("19", "7")),
        _locale(
            "de-AT", "EUR", (_N.DOT_COMMA, _N.SPACE_COMMA), (_D.DAY_DOT, _D.LONG), ("20", "10")
        ),
        _locale("de-CH", "CHF", (_N.APOSTROPHE_DOT,), (_D.DAY_DOT, _D.LONG), ("8.1", "2.6")),
        _locale(
            "fr-FR", "EUR", (_N.SPACE_COMMA,), (_D.DAY_SLASH, _D.LONG, _D.ISO), ("20", "10", "5.5")
        ),
        _locale(
            "fr-CH",
            "CHF",
            (_N.APOSTROPHE_DOT, _N.SPACE_COMMA),
            (_D.DAY_DOT, _D.LONG),
            ("8.1", "2.6"),
        ),
    )
}

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_number(value: Decimal, style: NumberStyle, places: int | None = 2) -> str:
    """Write a number with the style's separators; ``places=None`` keeps only needed decimals."""
    if places is None:
        whole, _, fraction = format(value.normalize(), "f").partition(".")
        text = f"{int(whole):,}" + ("." + fraction if fraction else "")
    else:
        text = f"{value:,.{places}f}"
    group, decimal = {
        NumberStyle.COMMA_DOT: (",", "."),
        NumberStyle.DOT_COMMA: (".", ","),
        NumberStyle.SPACE_COMMA: (" ", ","),
        NumberStyle.APOSTROPHE_DOT: ("'", "."),
    }[style]
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def format_date(value: date, style: DateStyle, locale: InvoiceLocale) -> str:
    if style is DateStyle.ISO:
        return value.isoformat()
    if style is DateStyle.DAY_DOT:
        return value.strftime("%d.%m.%Y")
    if style is DateStyle.DAY_SLASH:
        return value.strftime("%d/%m/%Y")
    if style is DateStyle.MONTH_SLASH:
        return value.strftime("%m/%d/%Y")
    month = _MONTHS[locale.language][value.month - 1]
    if locale.language == "de":
        return f"{value.day}. {month} {value.year}"
    if locale.language == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {month} {value.year}"
    if locale.country == "US":
        return f"{month} {value.day}, {value.year}"
    return f"{value.day} {month} {value.year}"


@dataclass(frozen=True)
class Formatter:
    """One invoice's choices: the locale and which of its styles the document uses."""

    locale: InvoiceLocale
    number_style: NumberStyle
    date_style: DateStyle
    currency_display: CurrencyDisplay

    def amount(self, value: Decimal) -> str:
        return format_number(value, self.number_style)

    def money(self, value: Decimal) -> str:
        number = self.amount(value)
        currency = self.locale.currency
        symbol = _SYMBOLS.get(currency)
        if self.currency_display is CurrencyDisplay.SYMBOL and symbol is not None:
            if self.locale.language == "en":
                return f"-{symbol}{number[1:]}" if number.startswith("-") else symbol + number
            return f"{number} {symbol}"
        if currency == "CHF" or self.locale.language == "en":
            return f"{currency} {number}"
        return f"{number} {currency}"

    def currency_label(self) -> str:
        symbol = _SYMBOLS.get(self.locale.currency)
        if self.currency_display is CurrencyDisplay.SYMBOL and symbol is not None:
            return symbol
        return self.locale.currency

    def quantity(self, value: Decimal) -> str:
        return format_number(value, self.number_style, places=None)

    def rate(self, value: Decimal) -> str:
        number = format_number(value, self.number_style, places=None)
        return f"{number}%" if self.locale.language == "en" else f"{number} %"

    def date(self, value: date) -> str:
        return format_date(value, self.date_style, self.locale)
