"""Write the synthetic dataset: each invoice's document and its ``<name>.expected.json``.

python -m invoice_evaluation.generate --out eval/dataset --count 36 --seed 7
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from invoice_contracts.extraction import InvoiceData

from invoice_evaluation.documents import EXPECTED_SUFFIX, DocumentKind
from invoice_evaluation.layouts import render_pdf
from invoice_evaluation.scanning import as_scanned, image_pdf, page_size, png_bytes, rasterize
from invoice_evaluation.synthesis import SyntheticInvoice, synthesize_dataset

logger = logging.getLogger(__name__)


MANIFEST = "manifest.json"
DEFAULT_COUNT = 36
DEFAULT_SEED = 7
SAMPLE_DATE = date(2024, 3, 5)
_OWN_FILE = re.compile(r"invoice-\d{3,}(\.expected\.json|\.pdf|\.png)")


class GroundTruthError(ValueError):
    """An expected JSON would not read back as the InvoiceData it was written from."""


def render_document(invoice: SyntheticInvoice, seed: int) -> bytes:
    pdf = render_pdf(invoice)
    kind = invoice.plan.kind
    if kind is DocumentKind.TEXT_PDF:
        return pdf
    scan = as_scanned(rasterize(pdf), random.Random(f"{seed}:{invoice.plan.index}:scan"))
    if kind is DocumentKind.PNG:
        return png_bytes(scan)
    return image_pdf(scan, page_size(pdf))


def expected_json(invoice: SyntheticInvoice) -> str:
    text = invoice.data.model_dump_json(indent=2) + "\n"
    if InvoiceData.model_validate_json(text) != invoice.data:
        raise GroundTruthError(f"{invoice.plan.name}: the expected JSON does not read back")
    return text


def command_line(out: Path, count: int, seed: int) -> str:
    return f"uv run python -m invoice_evaluation.generate --out {out} --count {count} --seed {seed}"


def write_dataset(out: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write (or rewrite) the dataset into ``out``; return the documents' paths."""
    out.mkdir(parents=True, exist_ok=True)
    invoices = synthesize_dataset(count, seed)
    wanted = {inv.plan.file_name for inv in invoices}
    wanted |= {inv.plan.name + EXPECTED_SUFFIX for inv in invoices}
    # Only files this generator names are removed: the folder may hold other things.
    for stale in out.iterdir():
        if _OWN_FILE.fullmatch(stale.name) and stale.name not in wanted:
            stale.unlink()

    documents = []
    for invoice in invoices:
        document = out / invoice.plan.file_name
        document.write_bytes(render_document(invoice, seed))
        (out / (invoice.plan.name + EXPECTED_SUFFIX)).write_text(
            expected_json(invoice), encoding="utf-8"
        )
        documents.append(document)
        logger.debug("wrote %s", document.name)

    manifest = _manifest(invoices, out, count, seed)
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(_readme(invoices, out, count, seed), encoding="utf-8")
    logger.info("wrote %d invoices to %s", len(invoices), out)
    return documents


def _manifest(
    invoices: Sequence[SyntheticInvoice], out: Path, count: int, seed: int
) -> dict[str, Any]:
    return {
        "command": command_line(out, count, seed),
        "seed": seed,
        "count": count,
        "documents": [
            {
                "file": inv.plan.file_name,
                "expected": inv.plan.name + EXPECTED_SUFFIX,
                "kind": inv.plan.kind.value,
                "template": inv.plan.template.value,
                "locale": inv.plan.locale.tag,
                "currency": inv.plan.locale.currency,
                "number_style": inv.plan.formatter.number_style.value,
                "date_style": _date_sample(inv),
                "currency_display": inv.plan.formatter.currency_display.value,
                "line_items": len(inv.data.line_items),
            }
            for inv in invoices
        ],
    }


def _date_sample(invoice: SyntheticInvoice) -> str:
    """How the invoice writes 5 March 2024: a style's name would hide the language."""
    return invoice.plan.formatter.date(SAMPLE_DATE)


def _tally(values: Sequence[str]) -> str:
    return ", ".join(f"{value} {n}" for value, n in sorted(Counter(values).items()))


def _readme(invoices: Sequence[SyntheticInvoice], out: Path, count: int, seed: int) -> str:
    plans = [inv.plan for inv in invoices]
    rows = "\n".join(
        f"| {p.file_name} | {p.kind.label} | {p.template.value} | {p.locale.tag} | "
        f"{p.locale.currency} | {p.formatter.number_style.value} | "
        f"{_date_sample(inv)} | {len(inv.data.line_items)} |"
        for p, inv in zip(plans, invoices, strict=True)
    )
    return f"""# Invoice extraction evaluation dataset

{count} synthetic invoices with their ground truth, made by `libs/evaluation`
(package `invoice_evaluation`). Every company, address, VAT id and bank account is invented;
the IBANs carry valid check digits.

Regenerate it (same seed, same content) with:

    {command_line(out, count, seed)}

Score an extractor on it with (`--provider openai` for the LLM; the extractor service provides
`invoice_extractor.evaluation.make_extract`):

    uv run python -m invoice_evaluation.run --folder {out} --provider offline

Every field is judged per document: equal is a true positive; a value where the ground truth
has another one or none is a false positive; a missing or wrong value where the ground truth has
one is a false negative. Text is compared case-folded with collapsed whitespace (IBANs without
any), amounts by value, dates exactly; line items are paired by best match. The report gives
precision, recall and support per field, micro-averaged overall, and per kind of document.
File names carry no hint of language, layout or kind.

## What is here

- `invoice-NNN.pdf` or `invoice-NNN.png`: the document.
  - text PDF: drawn with reportlab, with a real text layer;
  - scanned PDF: the text PDF rendered at 150 dpi in grayscale, tilted by up to 1.4 degrees,
    toned and specked, then wrapped as a JPEG page into a PDF with no text layer;
  - PNG: the same kind of scan saved as a grayscale PNG.
- `invoice-NNN.expected.json`: the ground truth, a JSON document valid as
  `invoice_contracts.extraction.InvoiceData`. It holds exactly what the document prints, and
  null for what it does not. Amounts are decimals rounded half-up to cents: the line items add
  up to the subtotal, the tax lines (one per rate) to the tax total, subtotal plus tax total is
  the total, and the amount due is the total less any deposit paid.
- `manifest.json`: per document its kind, template, locale, number and date style.

Kinds: {_tally([p.kind.label for p in plans])}.
Templates: {_tally([p.template.value for p in plans])}.
Languages: {_tally([p.locale.language for p in plans])}.
Currencies: {_tally([p.locale.currency for p in plans])}.

Templates: `classic` (header, item table, totals, footer), `two-column` (from and bill-to side by
side, a strip of invoice details, a tax summary table), `receipt` (a narrow till-roll layout in a
monospaced font), `rechnung` (a German business letter after DIN 5008 with an address window,
an information block and a footer with the bank details).

| file | kind | template | locale | currency | numbers | dates | line items |
|---|---|---|---|---|---|---|---|
{rows}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m invoice_evaluation.generate",
        description="Write synthetic invoices and their ground truth.",
    )
    parser.add_argument("--out", type=Path, default=Path("eval/dataset"))
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    arguments = parser.parse_args(argv)
    if arguments.count < 1:
        parser.error("--count must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    write_dataset(arguments.out, arguments.count, arguments.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
