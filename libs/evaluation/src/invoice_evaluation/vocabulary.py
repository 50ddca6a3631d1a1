"""Words the synthetic invoices are made of: labels, company names, places, goods and services.

Every name here is invented; any likeness to a real business is a coincidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "invoice_number": "Invoice no.",
        "issue_date": "Invoice date",
        "due_date": "Due date",
        "purchase_order": "PO number",
        "customer_number": "Customer no.",
        "service_period": "Service period",
        "bill_to": "Bill to",
        "from": "From",
        "tax_id": "VAT no.",
        "position": "#",
        "code": "Item",
        "description": "Description",
        "quantity": "Qty",
        "unit": "Unit",
        "unit_price": "Unit price",
        "tax_rate": "VAT",
        "amount": "Amount",
        "subtotal": "Subtotal",
        "tax": "VAT",
        "tax_on": "on",
        "tax_total": "Total VAT",
        "total": "Total",
        "amount_paid": "Paid (deposit)",
        "amount_due": "Balance due",
        "terms": "Terms",
        "bank": "Bank",
        "iban": "IBAN",
        "bic": "BIC",
        "account": "Account no.",
        "routing": "Routing no.",
        "swift": "SWIFT",
        "reference": "Payment reference",
        "phone": "Tel.",
        "email": "Email",
        "thanks": "Thank you for your business.",
        "rate": "Rate",
        "net": "Net",
    },
    "de": {
        "invoice": "Rechnung",
        "invoice_number": "Rechnungsnr.",
        "issue_date": "Rechnungsdatum",
        "due_date": "Fällig am",
        "purchase_order": "Bestellnr.",
        "customer_number": "Kundennr.",
        "service_period": "Leistungszeitraum",
        "bill_to": "Rechnungsempfänger",
        "from": "Absender",
        "tax_id": "USt-IdNr.",
        "position": "Pos.",
        "code": "Art.-Nr.",
        "description": "Bezeichnung",
        "quantity": "Menge",
        "unit": "Einheit",
        "unit_price": "Einzelpreis",
        "tax_rate": "USt.",
        "amount": "Gesamt",
        "subtotal": "Nettobetrag",
        "tax": "USt.",
        "tax_on": "auf",
        "tax_total": "USt. gesamt",
        "total": "Gesamtbetrag",
        "amount_paid": "abzüglich Anzahlung",
        "amount_due": "Zahlbetrag",
        "terms": "Zahlungsbedingungen",
        "bank": "Bank",
        "iban": "IBAN",
        "bic": "BIC",
        "account": "Konto",
        "routing": "Routing",
        "swift": "SWIFT",
        "reference": "Verwendungszweck",
        "phone": "Tel.",
        "email": "E-Mail",
        "thanks": "Vielen Dank für Ihren Auftrag.",
        "rate": "Satz",
        "net": "Netto",
    },
    "fr": {
        "invoice": "Facture",
        "invoice_number": "Facture n°",
        "issue_date": "Date de facture",
        "due_date": "Date d'échéance",
        "purchase_order": "Bon de commande",
        "customer_number": "Client n°",
        "service_period": "Période de prestation",
        "bill_to": "Facturé à",
        "from": "Émetteur",
        "tax_id": "N° TVA",
        "position": "N°",
        "code": "Réf.",
        "description": "Désignation",
        "quantity": "Qté",
        "unit": "Unité",
        "unit_price": "Prix unitaire HT",
        "tax_rate": "TVA",
        "amount": "Montant HT",
        "subtotal": "Total HT",
        "tax": "TVA",
        "tax_on": "sur",
        "tax_total": "Total TVA",
        "total": "Total TTC",
        "amount_paid": "Acompte versé",
        "amount_due": "Net à payer",
        "terms": "Conditions de paiement",
        "bank": "Banque",
        "iban": "IBAN",
        "bic": "BIC",
        "account": "Compte",
        "routing": "Routing",
        "swift": "SWIFT",
        "reference": "Référence de paiement",
        "phone": "Tél.",
        "email": "E-mail",
        "thanks": "Merci de votre confiance.",
        "rate": "Taux",
        "net": "Base HT",
    },
}

# A few words change with the country rather than the language.
LOCALE_LABELS: dict[str, dict[str, str]] = {
    "en-US": {
        "tax_id": "Tax ID (EIN)",
        "tax_rate": "Tax",
        "tax": "Sales tax",
        "tax_total": "Total tax",
    },
    "en-CH": {"tax_id": "UID"},
    "de-AT": {"tax_id": "UID-Nr."},
    "de-CH": {"tax_id": "UID", "tax_rate": "MWST", "tax": "MWST", "tax_total": "MWST gesamt"},
    "fr-CH": {"tax_id": "IDE"},
}


def labels_for(tag: str) -> dict[str, str]:
    return LABELS[tag.split("-")[0]] | LOCALE_LABELS.get(tag, {})


TERMS: dict[str, tuple[str, ...]] = {
    "en": ("Net {days}", "Payment due within {days} days", "Please pay within {days} days"),
    "de": (
        "Zahlbar innerhalb von {days} Tagen ohne Abzug",
        "Zahlungsziel {days} Tage netto",
    ),
    "fr": ("Paiement à {days} jours", "Règlement à {days} jours date de facture"),
}
TERMS_ON_RECEIPT: dict[str, str] = {
    "en": "Due on receipt",
    "de": "Sofort fällig ohne Abzug",
    "fr": "Paiement à réception de facture",
}

COMPANY_ROOTS: dict[str, tuple[str, ...]] = {
    "en": (
        "Northwind",
        "Bluepeak",
        "Harbour Lane",
        "Silverline",
        "Oakridge",
        "Brightwater",
        "Redstone",
        "Greenfield",
        "Kestrel",
        "Ironbridge",
        "Lakeside",
        "Copperleaf",
    ),
    "de": (
        "Bergmann",
        "Schneider",
        "Krüger",
        "Weiß",
        "Hoffmann",
        "Lindner",
        "Vogel",
        "Brandt",
        "Schäfer",
        "Sommer",
        "Winkler",
        "Hartmann",
    ),
    "fr": (
        "Dupont",
        "Lefèvre",
        "Moreau",
        "Lambert",
        "Garnier",
        "Rousseau",
        "Fontaine",
        "Mercier",
        "Chevalier",
        "Bonnet",
        "Girard",
        "Marchand",
    ),
}
COMPANY_TRADES: dict[str, tuple[str, ...]] = {
    "en": ("Consulting", "Supplies", "Software", "Logistics", "Design Studio", "Print Works"),
    "de": ("Technik", "Bürobedarf", "Beratung", "Logistik", "Medien", "Elektro"),
    "fr": ("Conseil", "Informatique", "Fournitures", "Transports", "Atelier", "Studio"),
}
COMPANY_FORMS: dict[str, tuple[str, ...]] = {
    "US": ("LLC", "Inc."),
    "GB": ("Ltd", "LLP"),
    "IE": ("Ltd", "DAC"),
    "DE": ("GmbH", "AG", "KG", "GmbH & Co. KG"),
    "AT": ("GmbH", "OG", "KG"),
    "CH": ("AG", "GmbH"),
    "CH-fr": ("SA", "Sàrl"),
    "FR": ("SARL", "SAS", "SA", "EURL"),
}
TOP_LEVEL_DOMAINS = {
    "US": "com",
    "GB": "co.uk",
    "IE": "ie",
    "DE": "de",
    "AT": "at",
    "CH": "ch",
    "FR": "fr",
}


@dataclass(frozen=True)
class Place:
    street_names: tuple[str, ...]
    towns: tuple[tuple[str, str], ...]
    """(postcode, town) pairs."""


PLACES: dict[str, Place] = {
    "US": Place(
        ("Main Street", "Oak Avenue", "Market Street", "Elm Street", "Lake Shore Drive"),
        (
            ("10001", "New York, NY"),
            ("78701", "Austin, TX"),
            ("98101", "Seattle, WA"),
            ("60601", "Chicago, IL"),
            ("80202", "Denver, CO"),
        ),
    ),
    "GB": Place(
        ("High Street", "Station Road", "Church Lane", "King Street", "Mill Road"),
        (
            ("EC1A 1BB", "London"),
            ("M1 1AE", "Manchester"),
            ("B1 1BB", "Birmingham"),
            ("LS1 4DY", "Leeds"),
            ("EH1 1YZ", "Edinburgh"),
        ),
    ),
    "IE": Place(
        ("Grafton Street", "Main Street", "Quay Street", "Dame Street"),
        (("D02 X285", "Dublin"), ("T12 R2NW", "Cork"), ("H91 E2K3", "Galway")),
    ),
    "DE": Place(
        ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Industriestraße"),
        (
            ("10115", "Berlin"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("20095", "Hamburg"),
            ("70173", "Stuttgart"),
            ("04109", "Leipzig"),
        ),
    ),
    "AT": Place(
        ("Ringstraße", "Mariahilfer Straße", "Landstraße", "Herrengasse"),
        (("1010", "Wien"), ("8010", "Graz"), ("5020", "Salzburg"), ("4020", "Linz")),
    ),
    "CH": Place(
        ("Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Zürichstrasse"),
        (("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("6003", "Luzern")),
    ),
    "CH-fr": Place(
        ("Rue du Rhône", "Avenue de la Gare", "Rue du Lac", "Chemin des Vignes"),
        (("1201", "Genève"), ("1003", "Lausanne"), ("2000", "Neuchâtel"), ("1950", "Sion")),
    ),
    "FR": Place(
        ("rue de la République", "avenue Victor Hugo", "boulevard Voltaire", "rue des Lilas"),
        (
            ("75008", "Paris"),
            ("69002", "Lyon"),
            ("13001", "Marseille"),
            ("31000", "Toulouse"),
            ("33000", "Bordeaux"),
            ("44000", "Nantes"),
        ),
    ),
}

BANKS: dict[str, tuple[str, ...]] = {
    "US": ("First Prairie Bank", "Harbor Savings Bank"),
    "GB": ("Albion Commercial Bank", "Thameside Bank"),
    "IE": ("Liffey Bank", "Shannon Credit Bank"),
    "DE": ("Nordbank Hanse", "Volksbank Mittelland"),
    "AT": ("Donaubank Wien", "Alpenländische Sparkasse"),
    "CH": ("Bank Limmat", "Banque du Léman"),
    "FR": ("Banque Lumière", "Crédit de la Loire"),
}


@dataclass(frozen=True)
class Offer:
    """Something an invoice can bill: its words, how it is counted, and a price range."""

    descriptions: dict[str, str]
    units: dict[str, str]
    low: Decimal
    high: Decimal
    by_the_hour: bool = False


def _offer(
    en: str, de: str, fr: str, unit: tuple[str, str, str], low: str, high: str, hourly: bool = False
) -> Offer:
    return Offer(
        {"en": en, "de": de, "fr": fr},
        {"en": unit[0], "de": unit[1], "fr": unit[2]},
        Decimal(low),
        Decimal(high),
        hourly,
    )


_PIECE = ("pcs", "Stk.", "pce")
_HOUR = ("h", "Std.", "h")
_MONTH = ("month", "Monat", "mois")
_PACK = ("pack", "Pck.", "paquet")

OFFERS: tuple[Offer, ...] = (
    _offer(
        "Consulting services",
        "Beratungsleistung",
        "Prestation de conseil",
        _HOUR,
        "85",
        "180",
        hourly=True,
    ),
    _offer(
        "Software development",
        "Softwareentwicklung",
        "Développement logiciel",
        _HOUR,
        "70",
        "150",
        hourly=True,
    ),
    _offer(
        "On-site installation",
        "Montage vor Ort",
        "Installation sur site",
        _HOUR,
        "55",
        "120",
        hourly=True,
    ),
    _offer(
        "Project management", "Projektleitung", "Gestion de projet", _HOUR, "90", "160", hourly=True
    ),
    _offer("Website hosting", "Webhosting", "Hébergement du site web", _MONTH, "9.90", "79"),
    _offer(
        "Maintenance contract", "Wartungsvertrag", "Contrat de maintenance", _MONTH, "49", "450"
    ),
    _offer(
        "Software licence (annual)",
        "Softwarelizenz (jährlich)",
        "Licence logicielle annuelle",
        _PIECE,
        "120",
        "1490",
    ),
    _offer(
        "Office chair, ergonomic",
        "Bürostuhl, ergonomisch",
        "Chaise de bureau ergonomique",
        _PIECE,
        "149",
        "689",
    ),
    _offer("USB-C cable 2 m", "USB-C-Kabel 2 m", "Câble USB-C 2 m", _PIECE, "6.49", "24.90"),
    _offer(
        "Printer toner, black",
        "Druckertoner schwarz",
        "Toner d'imprimante noir",
        _PIECE,
        "39",
        "129",
    ),
    _offer(
        "Copy paper A4, 500 sheets",
        "Kopierpapier A4, 500 Blatt",
        "Papier A4, ramette de 500 feuilles",
        _PACK,
        "4.20",
        "9.80",
    ),
    _offer("Monitor 27 inch", "Monitor 27 Zoll", "Écran 27 pouces", _PIECE, "189", "549"),
    _offer(
        "Notebook docking station",
        "Notebook-Dockingstation",
        "Station d'accueil portable",
        _PIECE,
        "89",
        "279",
    ),
    _offer(
        "Training workshop",
        "Schulung (Workshop)",
        "Atelier de formation",
        _HOUR,
        "95",
        "210",
        hourly=True,
    ),
    _offer(
        "Delivery and packaging",
        "Versand und Verpackung",
        "Livraison et emballage",
        _PIECE,
        "5.90",
        "49",
    ),
    _offer(
        "Coffee beans 1 kg", "Kaffeebohnen 1 kg", "Café en grains 1 kg", _PACK, "14.90", "32.50"
    ),
)
