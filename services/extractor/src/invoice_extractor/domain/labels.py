"""The printed labels of invoice fields in English, German and French, found in laid-out lines.

A label is recognised where a cell starts, as invoices print them, so that the same words in
running text ("please transfer the amount due by ...") are not taken for a field. Identifiers
("Rechnung Nr. 17") are also recognised inside a cell. Patterns allow missing spaces, which OCR
often drops ("Salestax", "TaxID").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from invoice_extractor.domain.layout import Line

_END = r"(?![a-zà-ÿß])"
_NO = r"(?:no\.?|nr\.?|n[°ºo]\.?|number|num(?:ber|éro|ero)?\.?|#|nummer)"
_TAX_WORD = r"(?:vat|sales\s*tax|tax|gst|mwst|ust|umsatzsteuer|mehrwertsteuer|tva)"
_RATE = r"(?:\d{1,2}(?:[.,]\d{1,2})?\s?%\s*)"
# A tax word followed by one of these names a tax id, not a tax amount.
# OCR reads the "I" of "IdNr" as "l" as often as not.
_NOT_AN_ID = r"(?![\s.:-]*(?:[il]d|nr|no\b|n°|number|reg|nummer|ident|intra))"


@dataclass(frozen=True)
class LabelKind:
    name: str
    pattern: re.Pattern[str]
    # Identifiers may stand inside a cell; everything else must start one.
    anywhere: bool = False


def within_cell(pattern: str) -> str:
    """The pattern with its whitespace kept inside one cell: a tab separates two cells."""
    parts: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            pair = pattern[index : index + 2]
            if pair == r"\s":
                parts.append(" \u00a0" if in_class else r"[^\S\t\n]")
            else:
                parts.append(pair)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        parts.append(char)
        index += 1
    return "".join(parts)


# OCR reads an umlaut as its base letter, or its dots as an "i" ("Faillig" for "Fällig").
_UMLAUTS = {"[äa]": "(?:ä|ai?)", "[üu]": "(?:ü|ui?|ii)", "[öo]": "(?:ö|oi?)"}


def _kind(name: str, *alternatives: str, anywhere: bool = False, end: str = _END) -> LabelKind:
    pattern = within_cell(r"(?:" + "|".join(alternatives) + r")" + end)
    for umlaut, variants in _UMLAUTS.items():
        pattern = pattern.replace(umlaut, variants)
    return LabelKind(name, re.compile(pattern, re.IGNORECASE), anywhere)


KINDS: tuple[LabelKind, ...] = (
    _kind(
        "invoice_number",
        rf"invoice\s*{_NO}",
        r"invoice\s*(?:id|:)",
        rf"inv\.?\s*{_NO}",
        rf"rechnungs\s*-?\s*{_NO}",
        rf"rechnung\s*{_NO}",
        rf"beleg\s*-?\s*{_NO}",
        rf"facture\s*{_NO}",
        r"n[°ºo]\.?\s*(?:de\s*)?facture",
        r"num[ée]ro\s*de\s*facture",
        anywhere=True,
    ),
    _kind(
        "purchase_order",
        rf"purchase\s*order(?:\s*{_NO})?",
        rf"p\.?\s?o\.?\s*{_NO}",
        r"p\.?\s?o\.?(?=\s*[:#])",
        rf"(?:your\s*)?order\s*{_NO}",
        rf"bestell\s*-?\s*{_NO}",
        r"bestellnummer",
        r"ihre\s*bestellung",
        rf"auftrags?\s*-?\s*{_NO}",
        r"bon\s*de\s*commande",
        rf"(?:{_NO}\s*(?:de\s*)?)?commande(?:\s*{_NO})?",
        r"r[ée]f[ée]rence\s*(?:de\s*)?commande",
        anywhere=True,
    ),
    _kind(
        "customer_number",
        rf"customer\s*(?:{_NO}|id)",
        rf"kunden\s*-?\s*{_NO}",
        r"kundennummer",
        rf"{_NO}\s*(?:de\s*)?client",
        rf"client\s*{_NO}",
        r"code\s*client",
        rf"debitor(?:en)?\s*-?\s*{_NO}",
    ),
    _kind(
        "due_date",
        r"due\s*date",
        r"date\s*due",
        r"payment\s*due(?:\s*date)?",
        r"due\s*(?:by|on)",
        r"due",
        r"pay\s*by",
        r"f[äa]llig(?:keitsdatum|\s*am|\s*bis)?",
        r"zahlbar\s*bis(?:\s*zum)?",
        r"date\s*d['\u2019]\s*[ée]ch[ée]ance",
        r"[ée]ch[ée]ance",
        r"[àa]\s*payer\s*avant\s*le",
        r"payable\s*(?:avant\s*)?le",
    ),
    _kind(
        "issue_date",
        r"(?:invoice|issue|billing|tax\s*point)\s*date",
        r"date\s*(?:of\s*)?(?:issue|invoice)",
        r"issued(?:\s*on)?",
        r"rechnungsdatum",
        r"ausstellungsdatum",
        r"belegdatum",
        r"datum",
        r"date\s*(?:de\s*(?:la\s*)?)?(?:facture|facturation)",
        r"date\s*d['\u2019]\s*[ée]mission",
        r"[ée]mise?\s*le",
        r"date",
    ),
    _kind(
        "service_period",
        r"service\s*period",
        r"period\s*of\s*(?:service|supply)",
        r"billing\s*period",
        r"leistungszeitraum",
        r"abrechnungszeitraum",
        r"p[ée]riode(?:\s*de\s*(?:prestation|facturation))?",
        r"period",
    ),
    _kind(
        "delivery_date",
        r"delivery\s*date",
        r"lieferdatum",
        r"leistungsdatum",
        r"date\s*de\s*livraison",
    ),
    _kind(
        "terms",
        r"(?:payment\s*)?terms",
        r"zahlungsbedingungen",
        r"zahlungsziel(?=\s*:)",
        r"conditions\s*de\s*(?:paiement|r[èe]glement)",
        r"modalit[ée]s\s*de\s*paiement",
        r"conditions",
    ),
    _kind(
        "reference",
        r"payment\s*reference",
        r"reference",
        r"verwendungszweck",
        r"zahlungsreferenz",
        r"r[ée]f[ée]rence\s*(?:de\s*|du\s*)?paiement",
        r"r[ée]f[ée]rence\s*[àa]\s*indiquer",
        r"communication",
    ),
    _kind("iban", r"iban", anywhere=True),
    _kind(
        "bic", r"bic\s*/\s*swift", r"swift\s*/\s*bic", r"swift(?:\s*code)?", r"bic", anywhere=True
    ),
    _kind(
        "account_number",
        rf"account\s*{_NO}",
        rf"konto\s*-?\s*{_NO}",
        r"kontonummer",
        rf"{_NO}\s*de\s*compte",
        r"compte",
    ),
    _kind("routing_number", rf"routing\s*{_NO}", r"sort\s*code", r"aba", r"blz", r"bankleitzahl"),
    _kind("bank", r"bank(?:verbindung|name)?", r"banque", r"bankinstitut", r"kreditinstitut"),
    _kind(
        "tax_id",
        r"vat\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|nr\.?|number|id)",
        r"tax\s*id(?:\s*\(\s*\w+\s*\))?",
        r"tax\s*(?:no\.?|number)",
        r"(?-i:EIN)",
        r"ust\.?\s*-?\s*[il]d\.?\s*(?:-?\s*nr\.?)?",
        r"(?-i:UID)\s*(?:-?\s*nr\.?)?",
        r"(?-i:IDE)",
        r"steuer\s*-?\s*nr\.?",
        r"steuernummer",
        r"st\.?\s*-?\s*nr\.?",
        r"mwst\s*-?\s*nr\.?",
        rf"{_NO}\s*(?:de\s*)?tva(?:\s*intra\s*-?\s*com(?:munautaire)?)?",
        r"tva\s*intra\s*-?\s*com(?:munautaire)?",
        r"num[ée]ro\s*de\s*tva",
        r"siret",
        r"siren",
        anywhere=True,
    ),
    _kind(
        "phone",
        r"tel\.?",
        r"t[ée]l[ée]phone",
        r"phone",
        r"telefon",
        r"tél\.?",
        r"mobile",
        r"fon",
    ),
    _kind("email", r"e-?\s*mail", r"courriel"),
    _kind("contact", r"fax", r"web(?:site)?", r"internet", r"www", r"site\s*web", r"contact"),
    _kind(
        "vendor_block",
        r"from",
        r"seller",
        r"supplier",
        r"vendor",
        r"absender",
        r"lieferant",
        r"rechnungssteller",
        r"[ée]metteur",
        r"fournisseur",
        r"vendeur",
    ),
    _kind(
        "customer_block",
        r"bill(?:ed)?\s*to",
        r"invoice\s*to",
        r"sold\s*to",
        r"customer",
        r"rechnungsempf[äa]nger",
        r"rechnung\s*an",
        r"kunde",
        r"empf[äa]nger",
        r"factur[ée]\s*[àa]",
        r"client",
        r"destinataire",
        r"adress[ée]\s*[àa]",
    ),
    _kind(
        "ship_to",
        r"ship\s*to",
        r"deliver\s*to",
        r"lieferadresse",
        r"lieferanschrift",
        r"livr[ée]\s*[àa]",
        r"adresse\s*de\s*livraison",
    ),
    _kind(
        "subtotal",
        r"sub\s*-?\s*total",
        r"net\s*(?:amount|total)",
        r"total\s*net",
        r"total\s*(?:excl\.?|excluding|before|w/o)\s*(?:vat|tax)",
        r"zwischensumme",
        r"netto\s*-?\s*(?:betrag|summe)",
        r"summe\s*netto",
        r"gesamt\s*netto",
        r"warenwert",
        r"netto",
        r"sous\s*-?\s*total",
        r"total\s*h\.?\s*t\.?",
        r"montant\s*h\.?\s*t\.?",
        r"total\s*hors\s*taxes?",
    ),
    _kind(
        "tax_total",
        rf"total\s*{_TAX_WORD}",
        rf"{_TAX_WORD}\s*total",
        rf"{_TAX_WORD}\.?\s*gesamt",
        r"summe\s*(?:ust|mwst)\.?",
        r"steuerbetrag",
        r"montant\s*(?:de\s*(?:la\s*)?)?tva",
    ),
    _kind(
        "tax",
        rf"(?:zzgl\.?\s*|plus\s*|inkl\.?\s*|incl\.?\s*|dont\s*|enthaltene\s*)?{_RATE}?"
        rf"{_TAX_WORD}\.?{_NOT_AN_ID}",
        # OCR may drop the space before "auf"/"on"/"sur" ("MWSTauf 189.20").
        end=r"(?:(?![a-zà-ÿß])|(?=auf|on|sur))",
    ),
    _kind(
        "amount_due",
        r"amount\s*due",
        r"balance\s*due",
        r"total\s*due",
        r"amount\s*payable",
        r"balance",
        r"zahlbetrag",
        r"zu\s*zahlen(?:der\s*betrag)?",
        r"offener\s*betrag",
        r"restbetrag",
        r"net\s*[àa]\s*payer",
        r"montant\s*d[ûu]",
        r"reste\s*[àa]\s*payer",
        r"solde(?:\s*d[ûu])?",
        r"total\s*[àa]\s*payer",
        r"[àa]\s*payer",
    ),
    _kind(
        "total",
        r"grand\s*total",
        r"invoice\s*total",
        r"total\s*amount",
        rf"total\s*(?:incl\.?|including|inc\.?)\s*{_TAX_WORD}",
        r"gesamtbetrag",
        r"rechnungsbetrag",
        r"endbetrag",
        r"gesamtsumme",
        r"bruttobetrag",
        r"summe\s*brutto",
        r"gesamt\s*brutto",
        r"brutto",
        r"summe",
        r"total\s*t\.?\s*t\.?\s*c\.?",
        r"montant\s*t\.?\s*t\.?\s*c\.?",
        r"montant\s*total",
        r"total",
    ),
    _kind(
        "amount_paid",
        r"(?:amount\s*)?paid(?:\s*\(\s*deposit\s*\))?",
        r"(?:less\s*)?deposit(?:\s*paid)?",
        r"prepayment",
        r"advance\s*payment",
        r"(?:abz[üu]glich\s*)?(?:geleistete\s*)?anzahlung",
        r"bereits\s*(?:bezahlt|gezahlt|erhalten)",
        r"(?:moins\s*)?acompte(?:\s*vers[ée])?",
        r"d[ée]j[àa]\s*(?:pay[ée]|r[ée]gl[ée]|vers[ée])",
    ),
    _kind(
        "discount", r"discount", r"rabatt", r"nachlass", r"preisnachlass", r"remise", r"escompte"
    ),
    _kind(
        "shipping",
        r"shipping(?:\s*(?:&|and)\s*handling)?",
        r"freight",
        r"postage",
        r"versandkosten",
        r"frachtkosten",
        r"porto",
        r"frais\s*de\s*(?:port|livraison|transport|envoi)",
    ),
)

AMOUNT_KINDS = frozenset(
    {"subtotal", "tax_total", "tax", "amount_due", "total", "amount_paid", "discount", "shipping"}
)
# Characters OCR leaves before a label ("·Total", ".Date"), and list bullets.
_LEADING_NOISE = " .,:;·*'\"“”•\u2013_|-"


@dataclass(frozen=True)
class LabelHit:
    kind: str
    line: int
    start: int
    end: int

    def __repr__(self) -> str:
        return f"LabelHit({self.kind}, line={self.line}, {self.start}:{self.end})"


def scan_line(line: Line, number: int) -> list[LabelHit]:
    """Every label in the line, longest first where two overlap, in reading order."""
    text = line.text
    starts = _cell_starts(line)
    found: list[LabelHit] = []
    for kind in KINDS:
        for match in kind.pattern.finditer(text):
            start = match.start()
            at_cell_start = start in starts
            inside = start == 0 or not text[start - 1].isalnum()
            if at_cell_start or (kind.anywhere and inside):
                found.append(LabelHit(kind.name, number, start, match.end()))
    found.sort(key=lambda hit: (hit.start, -(hit.end - hit.start)))
    kept: list[LabelHit] = []
    for hit in found:
        if all(hit.start >= other.end or hit.end <= other.start for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda hit: hit.start)


def _cell_starts(line: Line) -> set[int]:
    """Where each cell's text begins, after any leading noise."""
    starts = set()
    offset = 0
    for cell in line.cells:
        text = cell.text
        skipped = len(text) - len(text.lstrip(_LEADING_NOISE))
        starts.add(offset + skipped)
        offset += len(text) + 1
    return starts


def scan_lines(lines: Sequence[Line]) -> list[list[LabelHit]]:
    return [scan_line(line, number) for number, line in enumerate(lines)]
