"""Field-by-field precision and recall of extractions against their ground truth.

Each scored field of each document is judged once:

- true positive: the extraction equals the ground truth;
- false positive: the extraction has a value, and the ground truth has none or another one;
- false negative: the ground truth has a value, and the extraction has none or another one.

So a wrong value counts both ways, a made-up value only against precision, a missed one only
against recall, and a field both leave null not at all. Values are compared as the field's type
wants: text after case-folding and collapsing whitespace (an IBAN with no whitespace at all, an
address with commas read as line breaks), amounts by numeric value, dates exactly.

List fields are scored item by item: their count is a field of its own, and each expected item
is paired with the extracted item that agrees with it on the most fields, ties going to the one
at the nearest position; an unpaired item counts its fields as missed or as made up.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

from invoice_contracts.extraction import InvoiceData
from pydantic import BaseModel

from invoice_evaluation.documents import DocumentKind

CORE_FIELDS: tuple[str, ...] = (
    "invoice_number",
    "purchase_order",
    "issue_date",
    "due_date",
    "currency",
    "language",
    "vendor.name",
    "vendor.tax_id",
    "customer.name",
    "subtotal",
    "tax_total",
    "total",
    "amount_due",
    "payment.iban",
    "payment.bic",
    "line_items.count",
    "line_items.amount",
)
COUNT = "count"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list):
        for argument in get_args(annotation):
            model = _model_in(argument)
            if model is not None:
                return model
    return None


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every scalar field path of the model, lists as ``<list>.count`` and ``<list>.<field>``."""
    paths = []
    for name, info in model.model_fields.items():
        nested = _model_in(info.annotation)
        if get_origin(info.annotation) is list and nested is not None:
            paths.append(f"{prefix}{name}.{COUNT}")
            paths += [f"{prefix}{name}.{item}" for item in nested.model_fields]
        elif nested is not None:
            paths += _paths(nested, f"{prefix}{name}.")
        else:
            paths.append(prefix + name)
    return paths


ALL_FIELDS: tuple[str, ...] = tuple(_paths(InvoiceData))
LIST_FIELDS: frozenset[str] = frozenset(
    path.rsplit(".", 1)[0] for path in ALL_FIELDS if path.endswith("." + COUNT)
)


def _value(model: BaseModel | None, path: str) -> Any:
    for step in path.split("."):
        if model is None:
            return None
        model = getattr(model, step)
    return model


def _comparable(path: str, value: Any) -> Any:
    if value is None or isinstance(value, (Decimal, date, int)):
        return value
    text = str(value)
    leaf = path.rsplit(".", 1)[-1]
    if leaf == "iban":
        return "".join(text.split()).casefold()
    if leaf == "address":
        # The ground truth joins address lines with ", "; a reader may keep the line breaks.
        text = text.replace(",", " ")
    return " ".join(text.split()).casefold()


def same_value(path: str, expected: Any, extracted: Any) -> bool:
    if expected is None or extracted is None:
        return False
    return bool(_comparable(path, expected) == _comparable(path, extracted))


@dataclass(frozen=True)
class Tally:
    """True positives, false positives and false negatives of one field, or of several."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        judged = self.tp + self.fp
        return self.tp / judged if judged else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.support if self.support else None

    @property
    def support(self) -> int:
        """How many expected values there were."""
        return self.tp + self.fn


def judge(path: str, expected: Any, extracted: Any) -> Tally:
    if expected is None and extracted is None:
        return Tally()
    if expected is None:
        return Tally(fp=1)
    if extracted is None:
        return Tally(fn=1)
    if same_value(path, expected, extracted):
        return Tally(tp=1)
    return Tally(fp=1, fn=1)


def _filled(data: InvoiceData) -> set[str]:
    """The field paths that hold a value in ``data`` (for lists: in any of its items)."""
    filled = set()
    for path in ALL_FIELDS:
        head, _, leaf = path.rpartition(".")
        if head in LIST_FIELDS:
            items = getattr(data, head)
            if (leaf == COUNT and items) or any(_value(i, leaf) is not None for i in items):
                filled.add(path)
        elif _value(data, path) is not None:
            filled.add(path)
    return filled


def fields_to_score(expected: Iterable[InvoiceData]) -> tuple[str, ...]:
    """The core fields, and every other field that some ground truth fills, in model order."""
    wanted = set(CORE_FIELDS)
    for data in expected:
        wanted |= _filled(data)
    return CORE_FIELDS + tuple(p for p in ALL_FIELDS if p in wanted and p not in CORE_FIELDS)


def pair_items(
    expected: Sequence[BaseModel], extracted: Sequence[BaseModel]
) -> list[tuple[int, int]]:
    """Pair items agreeing on the most fields (the amount counts double), then the nearest."""
    candidates = []
    for i, wanted in enumerate(expected):
        for j, found in enumerate(extracted):
            agreement = sum(
                (2 if name == "amount" else 1)
                for name in type(wanted).model_fields
                if same_value(name, getattr(wanted, name), getattr(found, name, None))
            )
            candidates.append((-agreement, abs(i - j), i, j))
    pairs: list[tuple[int, int]] = []
    paired_expected: set[int] = set()
    paired_extracted: set[int] = set()
    for _, _, i, j in sorted(candidates):
        if i not in paired_expected and j not in paired_extracted:
            pairs.append((i, j))
            paired_expected.add(i)
            paired_extracted.add(j)
    return sorted(pairs)


def _score_list(
    name: str, expected: InvoiceData, extracted: InvoiceData, fields: Sequence[str]
) -> dict[str, Tally]:
    wanted: list[BaseModel] = list(getattr(expected, name))
    found: list[BaseModel] = list(getattr(extracted, name))
    tallies: dict[str, Tally] = {}
    pairs = pair_items(wanted, found)
    lone_wanted = set(range(len(wanted))) - {i for i, _ in pairs}
    lone_found = set(range(len(found))) - {j for _, j in pairs}
    for path in fields:
        leaf = path.rpartition(".")[2]
        if leaf == COUNT:
            tallies[path] = judge(path, len(wanted) or None, len(found) or None)
            continue
        tally = Tally()
        for i, j in pairs:
            tally += judge(path, _value(wanted[i], leaf), _value(found[j], leaf))
        for i in lone_wanted:
            tally += judge(path, _value(wanted[i], leaf), None)
        for j in lone_found:
            tally += judge(path, None, _value(found[j], leaf))
        tallies[path] = tally
    return tallies


def score_invoice(
    expected: InvoiceData, extracted: InvoiceData | None, fields: Sequence[str] | None = None
) -> dict[str, Tally]:
    """Judge each field of one document; ``extracted=None`` stands for a failed extraction."""
    fields = fields_to_score([expected]) if fields is None else fields
    extracted = extracted if extracted is not None else InvoiceData()
    tallies: dict[str, Tally] = {}
    by_list: dict[str, list[str]] = {}
    for path in fields:
        head = path.rpartition(".")[0]
        if head in LIST_FIELDS:
            by_list.setdefault(head, []).append(path)
        else:
            tallies[path] = judge(path, _value(expected, path), _value(extracted, path))
    for name, paths in by_list.items():
        tallies.update(_score_list(name, expected, extracted, paths))
    return {path: tallies[path] for path in fields}


@dataclass(frozen=True)
class DocumentPair:
    """One document's ground truth and what an extraction made of it (None: it failed)."""

    name: str
    expected: InvoiceData
    extracted: InvoiceData | None
    kind: DocumentKind | None = None
    failure: str | None = None


@dataclass(frozen=True)
class DocumentScore:
    name: str
    kind: DocumentKind | None
    fields: Mapping[str, Tally]
    failure: str | None = None

    @property
    def overall(self) -> Tally:
        return sum(self.fields.values(), Tally())


@dataclass(frozen=True)
class Report:
    fields: tuple[str, ...]
    documents: tuple[DocumentScore, ...]

    def tally(self, path: str) -> Tally:
        return sum((doc.fields.get(path, Tally()) for doc in self.documents), Tally())

    @property
    def per_field(self) -> dict[str, Tally]:
        return {path: self.tally(path) for path in self.fields}

    @property
    def overall(self) -> Tally:
        """Micro-averaged: every judgement of every field of every document counts once."""
        return sum((doc.overall for doc in self.documents), Tally())

    @property
    def by_kind(self) -> dict[DocumentKind | None, tuple[int, Tally]]:
        """Per document kind: how many documents, and their micro-averaged tally."""
        kinds: dict[DocumentKind | None, tuple[int, Tally]] = {}
        for kind in [*DocumentKind, None]:
            documents = [doc for doc in self.documents if doc.kind == kind]
            if documents:
                kinds[kind] = (len(documents), sum((d.overall for d in documents), Tally()))
        return kinds

    @property
    def failures(self) -> list[tuple[str, str]]:
        return [(doc.name, doc.failure) for doc in self.documents if doc.failure is not None]

    def to_table(self) -> str:
        rows = [(path, tally) for path, tally in self.per_field.items()]
        overall_rows = [("overall (micro)", self.overall)]
        for kind, (count, tally) in self.by_kind.items():
            label = kind.label if kind is not None else "other"
            noun = "document" if count == 1 else "documents"
            overall_rows.append((f"{label} ({count} {noun})", tally))
        width = max(len(label) for label, _ in rows + overall_rows)
        header = f"{'field':<{width}}  precision  recall  support     tp     fp     fn"
        rule = "-" * len(header)
        lines = [header, rule]
        lines += [_table_row(label, tally, width) for label, tally in rows]
        lines.append(rule)
        lines += [_table_row(label, tally, width) for label, tally in overall_rows]
        failures = self.failures
        lines.append(f"failures: {len(failures)} of {len(self.documents)} documents")
        lines += [f"  {name}: {message}" for name, message in failures]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def figures(tally: Tally) -> dict[str, Any]:
            return {
                "precision": tally.precision,
                "recall": tally.recall,
                "support": tally.support,
                "tp": tally.tp,
                "fp": tally.fp,
                "fn": tally.fn,
            }

        return {
            "fields": {path: figures(tally) for path, tally in self.per_field.items()},
            "overall": figures(self.overall),
            "by_kind": {
                (kind.value if kind is not None else "other"): {"documents": count} | figures(t)
                for kind, (count, t) in self.by_kind.items()
            },
            "failures": [{"document": name, "message": msg} for name, msg in self.failures],
        }


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _table_row(label: str, tally: Tally, width: int) -> str:
    return (
        f"{label:<{width}}  {_ratio(tally.precision):>9}  {_ratio(tally.recall):>6}  "
        f"{tally.support:>7}  {tally.tp:>5}  {tally.fp:>5}  {tally.fn:>5}"
    )


def score_dataset(
    pairs: Iterable[DocumentPair | tuple[InvoiceData, InvoiceData | None]],
) -> Report:
    """Score every document on the same fields: the core ones and all the ground truths fill."""
    documents = [
        pair
        if isinstance(pair, DocumentPair)
        else DocumentPair(f"document-{number}", pair[0], pair[1])
        for number, pair in enumerate(pairs, start=1)
    ]
    fields = fields_to_score(doc.expected for doc in documents)
    scores = tuple(
        DocumentScore(
            doc.name, doc.kind, score_invoice(doc.expected, doc.extracted, fields), doc.failure
        )
        for doc in documents
    )
    return Report(fields, scores)
