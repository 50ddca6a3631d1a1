"""Synthetic invoices with their ground truth, the same for the same seed.

The ground truth holds exactly what the document prints: synthesis fills an optional field only
when the invoice's template has room to print it, and the templates print every field that is
not null. Amounts are computed with Decimal and rounded half-up to cents, line by line and tax
rate by tax rate, so that the line items add up to the subtotal and subtotal plus tax is the
total, as on a real invoice.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from invoice_contracts.extraction import (
    InvoiceData,
    LineItem,
    Party,
    Payment,
    ServicePeriod,
    TaxLine,
)

from invoice_evaluation.documents import DocumentKind
from invoice_evaluation.formats import LOCALES, CurrencyDisplay, Formatter, InvoiceLocale
from invoice_evaluation.vocabulary import (
    BANKS,
    COMPANY_FORMS,
    COMPANY_ROOTS,
    COMPANY_TRADES,
    OFFERS,
    PLACES,
    TERMS,
    TERMS_ON_RECEIPT,
    TOP_LEVEL_DOMAINS,
)

CENT = Decimal("0.01")
FIRST_ISSUE_DATE = date(2023, 1, 1)
ISSUE_DATE_SPAN_DAYS = 3 * 365


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Template(StrEnum):
    CLASSIC = "classic"
    TWO_COLUMN = "two-column"
    RECEIPT = "receipt"
    RECHNUNG = "rechnung"


# The optional parts each template has room for; nothing else optional enters its ground truth.
TEMPLATE_SHOWS: dict[Template, frozenset[str]] = {
    Template.CLASSIC: frozenset(
        {
            "unit",
            "service_period",
            "purchase_order",
            "contacts",
            "customer_tax_id",
            "reference",
            "customer_number",
            "deposit",
        }
    ),
    Template.TWO_COLUMN: frozenset(
        {"code", "unit", "purchase_order", "contacts", "customer_tax_id", "reference", "deposit"}
    ),
    Template.RECEIPT: frozenset({"contacts"}),
    Template.RECHNUNG: frozenset(
        {
            "code",
            "unit",
            "service_period",
            "purchase_order",
            "contacts",
            "customer_tax_id",
            "reference",
            "customer_number",
            "deposit",
        }
    ),
}


@dataclass(frozen=True)
class InvoicePlan:
    """What one invoice of the dataset looks like before its content is drawn."""

    index: int
    template: Template
    kind: DocumentKind
    formatter: Formatter

    @property
    def name(self) -> str:
        return f"invoice-{self.index + 1:03d}"

    @property
    def file_name(self) -> str:
        return self.name + self.kind.suffix

    @property
    def locale(self) -> InvoiceLocale:
        return self.formatter.locale


@dataclass(frozen=True)
class PrintedExtras:
    """What the document prints beyond InvoiceData's fields, or in another shape."""

    vendor_address_lines: tuple[str, ...]
    customer_address_lines: tuple[str, ...]
    bank_name: str
    customer_number: str | None
    routing_number: str | None


@dataclass(frozen=True)
class SyntheticInvoice:
    plan: InvoicePlan
    data: InvoiceData
    extras: PrintedExtras


def plan_dataset(count: int, seed: int) -> list[InvoicePlan]:
    """Spread templates, kinds, locales and styles evenly, in an order the seed shuffles."""
    rng = random.Random(seed)
    quarter = count // 4
    kinds = (
        [DocumentKind.TEXT_PDF] * (count - 2 * quarter)
        + [DocumentKind.SCANNED_PDF] * quarter
        + [DocumentKind.PNG] * quarter
    )
    rng.shuffle(kinds)
    templates = [list(Template)[i % len(Template)] for i in range(count)]
    rng.shuffle(templates)

    every_locale = sorted(LOCALES)
    german = [tag for tag in every_locale if tag.startswith("de-")]
    rng.shuffle(every_locale)
    rng.shuffle(german)
    next_locale = {"any": itertools.cycle(every_locale), "german": itertools.cycle(german)}
    uses: Counter[str] = Counter()
    plans = []
    for index, (template, kind) in enumerate(zip(templates, kinds, strict=True)):
        tag = next(next_locale["german" if template is Template.RECHNUNG else "any"])
        locale = LOCALES[tag]
        turn = uses[tag]
        uses[tag] += 1
        # Date styles take turns so that each locale shows all of its own; the rest is drawn.
        formatter = Formatter(
            locale,
            rng.choice(locale.number_styles),
            locale.date_styles[turn % len(locale.date_styles)],
            rng.choice((CurrencyDisplay.SYMBOL, CurrencyDisplay.CODE)),
        )
        plans.append(InvoicePlan(index, template, kind, formatter))
    return plans


def synthesize_dataset(count: int, seed: int) -> list[SyntheticInvoice]:
    return [synthesize(plan, seed) for plan in plan_dataset(count, seed)]


def synthesize(plan: InvoicePlan, seed: int) -> SyntheticInvoice:
    # One generator per invoice: its content depends on its plan, the seed and its index only.
    rng = random.Random(f"{seed}:{plan.index}")
    locale = plan.locale
    shows = TEMPLATE_SHOWS[plan.template]

    vendor_root = rng.choice(COMPANY_ROOTS[locale.language])
    customer_root = rng.choice([r for r in COMPANY_ROOTS[locale.language] if r != vendor_root])
    vendor_name = _company_name(rng, locale, vendor_root)
    customer_name = _company_name(rng, locale, customer_root)
    vendor_lines = _address_lines(rng, locale)
    customer_lines = _address_lines(rng, locale)
    contacts = "contacts" in shows
    vendor = Party(
        name=vendor_name,
        address=", ".join(vendor_lines),
        tax_id=_tax_id(rng, locale),
        email=_email(rng, locale, vendor_name) if contacts and rng.random() < 0.7 else None,
        phone=_phone(rng, locale.country) if contacts and rng.random() < 0.7 else None,
    )
    customer = Party(
        name=customer_name,
        address=", ".join(customer_lines),
        tax_id=(
            _tax_id(rng, locale) if "customer_tax_id" in shows and rng.random() < 0.5 else None
        ),
    )

    issue_date = FIRST_ISSUE_DATE + timedelta(days=rng.randrange(ISSUE_DATE_SPAN_DAYS))
    payment_days = rng.choice((0, 10, 14, 30, 30, 45, 60))
    service_period = None
    if "service_period" in shows and rng.random() < 0.4:
        month_end = issue_date.replace(day=1) - timedelta(days=1)
        service_period = ServicePeriod(start=month_end.replace(day=1), end=month_end)

    invoice_number = _invoice_number(rng, locale.language, issue_date.year)
    line_items = _line_items(rng, locale, shows)
    tax_breakdown = _tax_breakdown(line_items)
    subtotal = sum((item.amount or Decimal(0) for item in line_items), Decimal(0))
    tax_total = sum((line.amount or Decimal(0) for line in tax_breakdown), Decimal(0))
    total = subtotal + tax_total
    amount_paid = None
    if "deposit" in shows and rng.random() < 0.2:
        amount_paid = to_cents(total * rng.choice((Decimal("0.2"), Decimal("0.3"), Decimal("0.5"))))

    account, bic, routing_number = _bank_account(rng, locale.country)
    terms = (
        TERMS_ON_RECEIPT[locale.language]
        if payment_days == 0
        else rng.choice(TERMS[locale.language]).format(days=payment_days)
    )
    data = InvoiceData(
        invoice_number=invoice_number,
        purchase_order=(
            _purchase_order(rng, locale.language)
            if "purchase_order" in shows and rng.random() < 0.5
            else None
        ),
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=payment_days),
        service_period=service_period,
        currency=locale.currency,
        language=locale.language,
        vendor=vendor,
        customer=customer,
        subtotal=subtotal,
        tax_total=tax_total,
        tax_breakdown=tax_breakdown,
        total=total,
        amount_due=total - (amount_paid or Decimal(0)),
        amount_paid=amount_paid,
        line_items=line_items,
        payment=Payment(
            terms=terms,
            iban=account,
            bic=bic,
            reference=invoice_number if "reference" in shows and rng.random() < 0.4 else None,
        ),
    )
    extras = PrintedExtras(
        vendor_address_lines=vendor_lines,
        customer_address_lines=customer_lines,
        bank_name=rng.choice(BANKS[locale.country]),
        customer_number=(
            _customer_number(rng, locale.language) if "customer_number" in shows else None
        ),
        routing_number=routing_number,
    )
    return SyntheticInvoice(plan, data, extras)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(count))


def _regional(table: dict[str, tuple[str, ...]], locale: InvoiceLocale) -> tuple[str, ...]:
    return table.get(f"{locale.country}-{locale.language}", table[locale.country])


def _company_name(rng: random.Random, locale: InvoiceLocale, root: str) -> str:
    trade = rng.choice(COMPANY_TRADES[locale.language])
    form = rng.choice(_regional(COMPANY_FORMS, locale))
    return f"{trade} {root} {form}" if locale.language == "fr" else f"{root} {trade} {form}"


def _address_lines(rng: random.Random, locale: InvoiceLocale) -> tuple[str, str]:
    place = PLACES.get(f"{locale.country}-{locale.language}", PLACES[locale.country])
    street = rng.choice(place.street_names)
    postcode, town = rng.choice(place.towns)
    number = rng.randint(1, 150)
    if locale.country == "US":
        return f"{rng.randint(100, 9899)} {street}", f"{town} {postcode}"
    if locale.country in ("GB", "IE"):
        return f"{number} {street}", f"{town} {postcode}"
    if locale.country == "FR":
        return f"{number} {street}", f"{postcode} {town}"
    return f"{street} {number}", f"{postcode} {town}"


def _tax_id(rng: random.Random, locale: InvoiceLocale) -> str:
    country = locale.country
    if country == "US":
        return f"{_digits(rng, 2)}-{_digits(rng, 7)}"
    if country == "CH":
        suffix = {"de": "MWST", "fr": "TVA", "en": "VAT"}[locale.language]
        return f"CHE-{_digits(rng, 3)}.{_digits(rng, 3)}.{_digits(rng, 3)} {suffix}"
    if country == "AT":
        return "ATU" + _digits(rng, 8)
    if country == "FR":
        return "FR" + _digits(rng, 11)
    if country == "IE":
        return "IE" + _digits(rng, 7) + rng.choice("ABCDEFHKLMNPRTWX")
    return country + _digits(rng, 9)


def _slug(name: str) -> str:
    text = name.lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def _email(rng: random.Random, locale: InvoiceLocale, company: str) -> str:
    mailbox = rng.choice(
        {
            "en": ("billing", "accounts", "invoices"),
            "de": ("rechnung", "buchhaltung", "info"),
            "fr": ("facturation", "compta", "contact"),
        }[locale.language]
    )
    domain = "-".join(_slug(company).split("-")[:2])
    return f"{mailbox}@{domain}.{TOP_LEVEL_DOMAINS[locale.country]}"


def _phone(rng: random.Random, country: str) -> str:
    d = _digits
    return {
        "US": lambda: f"+1 ({rng.randint(201, 989)}) 555-{d(rng, 4)}",
        "GB": lambda: f"+44 20 {d(rng, 4)} {d(rng, 4)}",
        "IE": lambda: f"+353 1 {d(rng, 3)} {d(rng, 4)}",
        "DE": lambda: f"+49 {rng.randint(30, 89)} {d(rng, 7)}",
        "AT": lambda: f"+43 1 {d(rng, 3)} {d(rng, 4)}",
        "CH": lambda: f"+41 {rng.randint(21, 79)} {d(rng, 3)} {d(rng, 2)} {d(rng, 2)}",
        "FR": lambda: "+33 " + " ".join([str(rng.randint(1, 5))] + [d(rng, 2) for _ in range(4)]),
    }[country]()


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616: the two digits that make the IBAN's number leave remainder 1 modulo 97."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(char, 36)) for char in rearranged))
    return f"{98 - number % 97:02d}"


def _french_rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _bank_account(rng: random.Random, country: str) -> tuple[str, str, str | None]:
    """The account as printed (an IBAN, or an account number in the US), its BIC, a routing no."""
    bank_code = _letters(rng, 4)
    bic = bank_code + country + rng.choice(("2", "3", "5", "8")) + rng.choice("ABCLMX")
    if rng.random() < 0.5:
        bic += rng.choice(("XXX", "100", "BER", "PAR"))
    if country == "US":
        return _digits(rng, 10), bic, _digits(rng, 9)
    if country == "FR":
        bank, branch, account = _digits(rng, 5), _digits(rng, 5), _digits(rng, 11)
        bban = bank + branch + account + _french_rib_key(bank, branch, account)
    elif country in ("GB", "IE"):
        bban = bank_code + _digits(rng, 14)
    else:
        bban = _digits(rng, {"DE": 18, "AT": 16, "CH": 17}[country])
    iban = country + iban_check_digits(country, bban) + bban
    if rng.random() < 0.8:
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban, bic, None


def _invoice_number(rng: random.Random, language: str, year: int) -> str:
    serial = rng.randint(1, 9999)
    short_year = year % 100
    patterns = {
        "en": (f"INV-{year}-{serial:04d}", f"{serial + 10000}", f"INV{short_year:02d}{serial:05d}"),
        "de": (f"RE-{year}-{serial:04d}", f"{year}{serial:05d}", f"R{short_year:02d}-{serial:04d}"),
        "fr": (f"F{year}-{serial:04d}", f"FA{short_year:02d}/{serial:04d}", f"{year}-{serial:05d}"),
    }
    return rng.choice(patterns[language])


def _purchase_order(rng: random.Random, language: str) -> str:
    prefix = {"en": "PO-", "de": "B-", "fr": "BC-"}[language]
    return prefix + str(rng.randint(10000, 99999))


def _customer_number(rng: random.Random, language: str) -> str:
    prefix = {"en": "C-", "de": "K", "fr": "CL"}[language]
    return prefix + str(rng.randint(10000, 99999))


def _plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without the exponent form that ``normalize`` gives to 10 or 20."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def _line_items(rng: random.Random, locale: InvoiceLocale, shows: frozenset[str]) -> list[LineItem]:
    count = rng.randint(1, 8)
    main_rate, *other_rates = locale.tax_rates
    code_style = rng.choice(("ART-{}", "{}", "SKU{}"))
    items = []
    for offer in rng.sample(OFFERS, count):
        if offer.by_the_hour and rng.random() < 0.5:
            quantity = Decimal(rng.randint(1, 48)) * Decimal("0.25")
        else:
            quantity = Decimal(rng.randint(1, 12))
        cents_low, cents_high = int(offer.low * 100), int(offer.high * 100)
        unit_price = Decimal(rng.randint(cents_low, cents_high)) / 100
        tax_rate = rng.choice(other_rates) if other_rates and rng.random() < 0.25 else main_rate
        items.append(
            LineItem(
                description=offer.descriptions[locale.language],
                code=code_style.format(rng.randint(1000, 9999)) if "code" in shows else None,
                quantity=_plain(quantity),
                unit=offer.units[locale.language] if "unit" in shows else None,
                unit_price=unit_price.quantize(CENT),
                tax_rate=tax_rate,
                amount=to_cents(quantity * unit_price),
            )
        )
    return items


def _tax_breakdown(line_items: list[LineItem]) -> list[TaxLine]:
    bases: dict[Decimal, Decimal] = {}
    for item in line_items:
        assert item.tax_rate is not None and item.amount is not None
        bases[item.tax_rate] = bases.get(item.tax_rate, Decimal(0)) + item.amount
    return [
        TaxLine(rate=rate, base=base, amount=to_cents(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    ]
