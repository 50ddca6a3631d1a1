"""Line items: the rows of an invoice's item table, or the two-line entries of a receipt.

A table is found by its header ("Description  Qty  Unit price  Amount", "Bezeichnung  Menge
Einzelpreis  Gesamt", "Désignation  Qté  Prix unitaire  Montant"); each cell of a row below it
goes to the header column it lies under. A cell that spans several columns (OCR often joins
"5 Std.") is split by what its words are: a percentage is a tax rate, the last number the
amount, a short word after a quantity its unit. A row is an item when it has a description
and at least an amount.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from invoice_contracts.extraction import LineItem

from invoice_extractor.domain.labels import LabelHit, within_cell
from invoice_extractor.domain.layout import Cell, Line
from invoice_extractor.domain.normalize import (
    currency_code,
    find_amounts,
    find_percentages,
    parse_amount,
)

_ROLE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("position", r"#|pos\.?|position|nr\.?|no\.?|n[°º]"),
    (
        "code",
        r"art\.?\s*-?\s*nr\.?|artikel\s*-?\s*(?:nr\.?|nummer)|sku|item\s*(?:no\.?|code|#)|"
        r"product\s*code|code|r[ée]f\.?|r[ée]f[ée]rence|part\s*no\.?",
    ),
    (
        "description",
        r"description|bezeichnung|beschreibung|leistung|artikel|produkt|d[ée]signation|"
        r"libell[ée]|item|service|product|details|text",
    ),
    ("quantity", r"qty|quantity|menge|anzahl|anz\.?|qt[ée]\.?|quantit[ée]|hours|hrs|units"),
    (
        "unit_price",
        r"unit\s*price|unit\s*cost|price|rate|einzelpreis|e-?\s*preis|preis|"
        r"prix\s*unitaire(?:\s*h\.?\s*t\.?)?|prix\s*u\.?|p\.?\s*u\.?(?:\s*h\.?\s*t\.?)?|prix",
    ),
    ("unit", r"unit|einheit|unit[ée]|me"),
    ("tax_rate", r"vat\s*%?|tax\s*%?|mwst\.?|ust\.?|tva|steuer|%"),
    (
        "amount",
        r"(?:line\s*)?(?:amount|total)(?:\s*h\.?\s*t\.?)?|net|gesamt(?:preis)?|betrag|summe|"
        r"montant(?:\s*h\.?\s*t\.?)?|prix\s*total",
    ),
)
_ROLE = re.compile(
    within_cell(
        "|".join(
            rf"(?P<{role}>(?<![\w])(?:{pattern})(?![a-zà-ÿ]))" for role, pattern in _ROLE_PATTERNS
        )
    ),
    re.IGNORECASE,
)
_CURRENCY_TAIL = re.compile(r"^ ?\( ?(?:[A-Z]{3}|[€$£¥]) ?\)")
_STOP_KINDS = frozenset({"subtotal", "total", "tax_total", "amount_due", "tax", "amount_paid"})
_SEPARATOR = re.compile(r"^[\s\-=_*.·]{6,}$")
_UNIT = re.compile(r"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ.²³]{0,7}$")
_GLUED_QUANTITY = re.compile(r"^(?P<number>\d+(?:[.,]\d+)?)(?P<unit>[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ.]{0,7})$")
_RECEIPT_ROW = re.compile(
    r"^(?:(?P<description>.*?\D)\s+)?(?P<quantity>\d+(?:[.,]\d+)?)\s*(?P<unit>[A-Za-zÀ-ÿ.]{1,6}\s+)?"
    r"[x\u00d7]\s*(?P<rest>\S.*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Column:
    role: str
    x0: float
    x1: float


@dataclass(frozen=True)
class TableHeader:
    line: int
    columns: tuple[Column, ...]


@dataclass
class ItemReading:
    item: LineItem
    lines: list[int]
    # Quantity times unit price equals the amount: the row was read right.
    confirmed: bool = False


@dataclass
class ItemsFound:
    items: list[ItemReading] = field(default_factory=list)
    # Lines that belong to the item table (header and rows), for the other readers to skip.
    table_lines: set[int] = field(default_factory=set)


def find_header(line: Line, number: int) -> TableHeader | None:
    """The line as an item table's header, when most of its words name columns."""
    text = line.text
    matches = list(_ROLE.finditer(text))
    roles = [match.lastgroup or "" for match in matches]
    if "description" not in roles or not ({"amount", "unit_price"} & set(roles)):
        return None
    if len(set(roles)) < 3:
        return None
    covered = sum(len(match.group(0).replace(" ", "")) for match in matches)
    if covered < 0.6 * len(re.sub(r"\s", "", text)):
        return None
    columns: list[Column] = []
    for match, role in zip(matches, roles, strict=True):
        end = match.end()
        tail = _CURRENCY_TAIL.match(text[end:])
        if tail is not None:
            end += tail.end()
        columns.append(Column(role, line.x_of(match.start()), line.x_of(end)))
    # "# Item Description": the first of two description columns holds the article code.
    descriptions = [i for i, column in enumerate(columns) if column.role == "description"]
    for index in descriptions[:-1]:
        columns[index] = Column("code", columns[index].x0, columns[index].x1)
    return TableHeader(number, tuple(columns))


def read_line_items(
    lines: Sequence[Line], hits: Sequence[Sequence[LabelHit]], decimal_hint: str | None
) -> ItemsFound:
    """The line items of a document, from its item tables or else its receipt entries."""
    found = ItemsFound()
    index = 0
    while index < len(lines):
        header = find_header(lines[index], index)
        if header is None:
            index += 1
            continue
        found.table_lines.add(index)
        index = _read_table(lines, hits, header, decimal_hint, found)
    if not found.items:
        _read_receipt_rows(lines, hits, decimal_hint, found)
    return found


def _is_stop(line: Line, line_hits: Sequence[LabelHit]) -> bool:
    if _SEPARATOR.match(line.text):
        return True
    return any(hit.kind in _STOP_KINDS for hit in line_hits)


def _read_table(
    lines: Sequence[Line],
    hits: Sequence[Sequence[LabelHit]],
    header: TableHeader,
    decimal_hint: str | None,
    found: ItemsFound,
) -> int:
    previous_bottom = lines[header.line].bottom
    last: ItemReading | None = None
    index = header.line + 1
    while index < len(lines):
        line = lines[index]
        if _is_stop(line, hits[index]) or find_header(line, index) is not None:
            break
        if line.top - previous_bottom > 3.5 * line.height:
            break
        fields = _row_fields(line, header.columns, decimal_hint)
        item = _item(fields, decimal_hint)
        if item is not None and not _adds_up(item):
            # Columns that do not line up (text drawn with spaces, say) can put a number under
            # the wrong header; the reading in which quantity times price gives the amount wins.
            item = _by_arithmetic(line.text.replace("\t", " "), header, decimal_hint) or item
        if item is not None:
            last = ItemReading(item, [index], confirmed=_adds_up(item))
            found.items.append(last)
            found.table_lines.add(index)
            previous_bottom = line.bottom
        elif last is not None and _continues(line, fields, previous_bottom):
            description = " ".join(filter(None, (last.item.description, fields["description"])))
            last.item = last.item.model_copy(update={"description": description})
            last.lines.append(index)
            found.table_lines.add(index)
            previous_bottom = line.bottom
        index += 1
    return index


def _continues(line: Line, fields: dict[str, str], previous_bottom: float) -> bool:
    """A wrapped description: text under the description column only, right below a row."""
    others = [value for role, value in fields.items() if value and role != "description"]
    return (
        bool(fields.get("description"))
        and not others
        and (line.top - previous_bottom < 0.8 * line.height)
    )


def _row_fields(line: Line, columns: Sequence[Column], decimal_hint: str | None) -> dict[str, str]:
    fields: dict[str, str] = {column.role: "" for column in columns}
    fields.setdefault("description", "")
    for cell in line.cells:
        roles = _roles_under(cell, columns)
        parts = _split_by_type(cell.text, roles, decimal_hint)
        for role, value in parts.items():
            fields[role] = f"{fields.get(role, '')} {value}".strip()
    return fields


def _roles_under(cell: Cell, columns: Sequence[Column]) -> list[str]:
    overlapping = [c.role for c in columns if min(cell.x1, c.x1) - max(cell.x0, c.x0) > 0]
    if overlapping:
        return list(dict.fromkeys(overlapping))

    def distance(column: Column) -> float:
        return max(column.x0 - cell.x1, cell.x0 - column.x1, 0.0)

    return [min(columns, key=distance).role]


def _split_by_type(text: str, roles: Sequence[str], decimal_hint: str | None) -> dict[str, str]:
    """The parts of one cell's text for the columns it spans, by what each word is."""
    if len(roles) == 1 and roles[0] not in ("quantity", "tax_rate"):
        return {roles[0]: text}
    tokens = _without_currency(text)
    parts: dict[str, str] = {}
    remaining = list(roles)
    while tokens and remaining:
        role = remaining[-1]
        if role in ("description", "code", "position"):
            break
        remaining.pop()
        if role == "tax_rate":
            taken = _take_percent(tokens)
            if taken:
                parts[role] = taken
            continue
        if role == "unit":
            if (
                len(tokens) >= 2
                and _UNIT.match(tokens[-1])
                and _is_number(tokens[-2], decimal_hint)
            ):
                parts[role] = tokens.pop()
            continue
        if role == "quantity":
            unit = _take_unit(tokens, decimal_hint)
            if unit and "unit" not in parts:
                parts["unit"] = unit
        if tokens and _is_number(tokens[-1], decimal_hint):
            parts[role] = _take_number(tokens, decimal_hint)
    _split_leading(tokens, remaining, parts)
    return parts


def _split_leading(tokens: list[str], roles: Sequence[str], parts: dict[str, str]) -> None:
    """Position, article code and description, read from the left of what remains."""
    if "position" in roles and tokens and re.fullmatch(r"\d{1,3}\.?", tokens[0]):
        parts["position"] = tokens.pop(0)
    # An article code has a digit, unless there is no description column to leave text for.
    alone = "description" not in roles
    if "code" in roles and tokens and (alone or (len(tokens) > 1 and re.search(r"\d", tokens[0]))):
        parts["code"] = tokens.pop(0)
    if tokens:
        role = "description" if "description" in roles else (roles[-1] if roles else "")
        if role:
            parts[role] = f"{parts.get(role, '')} {' '.join(tokens)}".strip()
        tokens.clear()


def _without_currency(text: str) -> list[str]:
    """The words of a row, without the currency signs and codes printed beside its amounts."""
    return [
        token
        for token in text.split()
        if re.search(r"\d", token) or currency_code(token) is None or len(token) > 4
    ]


def _take_percent(tokens: list[str]) -> str | None:
    if tokens and tokens[-1] == "%" and len(tokens) >= 2:
        tokens.pop()
        return tokens.pop() + "%"
    if tokens and tokens[-1].endswith("%"):
        return tokens.pop()
    return None


def _take_unit(tokens: list[str], decimal_hint: str | None) -> str | None:
    if len(tokens) >= 2 and _UNIT.match(tokens[-1]) and _is_number(tokens[-2], decimal_hint):
        return tokens.pop()
    if tokens:
        glued = _GLUED_QUANTITY.match(tokens[-1])
        if glued is not None:
            tokens[-1] = glued["number"]
            return glued["unit"]
    return None


def _is_number(token: str, decimal_hint: str | None) -> bool:
    return parse_amount(token, decimal_hint=decimal_hint) is not None


def _take_number(tokens: list[str], decimal_hint: str | None) -> str:
    """The last number, with the groups of "1 234,56" printed with spaces before it."""
    number = tokens.pop()
    while (
        tokens
        and re.fullmatch(r"\d{1,3}", tokens[-1])
        and re.fullmatch(r"\d{3}(?:[.,]\d+)?", number.split(" ")[0])
        and re.search(r"[.,]\d{1,2}$", number)
    ):
        number = tokens.pop() + " " + number
    return number


def _item(fields: dict[str, str], decimal_hint: str | None) -> LineItem | None:
    amount = _amount(fields.get("amount", ""), decimal_hint)
    description = fields.get("description", "").strip() or None
    if amount is None or description is None or not re.search(r"[A-Za-zÀ-ÿ]", description):
        return None
    quantity_text = fields.get("quantity", "")
    unit = fields.get("unit") or None
    if quantity_text and unit is None:
        tokens = quantity_text.split()
        unit = _take_unit(tokens, decimal_hint)
        quantity_text = " ".join(tokens)
    rate = find_percentages(fields.get("tax_rate", "").replace(" %", "%"))
    return LineItem(
        description=description,
        code=fields.get("code") or None,
        quantity=_amount(quantity_text, decimal_hint),
        unit=unit,
        unit_price=_amount(fields.get("unit_price", ""), decimal_hint),
        tax_rate=rate[0][0] if rate else None,
        amount=amount,
    )


def _amount(text: str, decimal_hint: str | None) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    value = parse_amount(text, decimal_hint=decimal_hint)
    if value is None:
        found = find_amounts(text, decimal_hint=decimal_hint)
        value = found[-1].value if found else None
    return value


def _by_arithmetic(text: str, header: TableHeader, decimal_hint: str | None) -> LineItem | None:
    """The row read from the right: amount, tax rate, unit price, unit, quantity; the rest is
    position, code and description. Only a reading whose numbers multiply out is returned."""
    roles = [column.role for column in header.columns]
    tokens = _without_currency(text)
    parts: dict[str, str] = {}
    for role in ("amount", "tax_rate", "unit_price", "unit", "quantity"):
        if role not in roles and role not in ("unit", "quantity"):
            continue
        if role == "tax_rate":
            taken = _take_percent(tokens)
            if taken:
                parts[role] = taken
        elif role == "unit":
            unit = _take_unit(tokens, decimal_hint)
            if unit:
                parts[role] = unit
        elif tokens and _is_number(tokens[-1], decimal_hint):
            parts[role] = _take_number(tokens, decimal_hint)
    _split_leading(tokens, [r for r in roles if r in ("position", "code", "description")], parts)
    parts.setdefault("description", "")
    item = _item(parts, decimal_hint)
    return item if item is not None and _adds_up(item) else None


def _adds_up(item: LineItem) -> bool:
    if item.quantity is None or item.unit_price is None or item.amount is None:
        return False
    # Printed amounts are rounded to cents; a per-unit price may carry more digits.
    return abs(item.quantity * item.unit_price - item.amount) <= Decimal("0.011")


def _read_receipt_rows(
    lines: Sequence[Line],
    hits: Sequence[Sequence[LabelHit]],
    decimal_hint: str | None,
    found: ItemsFound,
) -> None:
    """Entries printed as "description" then "qty x price [rate] amount", as tills print them."""
    pending: list[int] = []
    for index, line in enumerate(lines):
        if _is_stop(line, hits[index]) or hits[index]:
            pending.clear()
            continue
        text = " ".join(cell.text for cell in line.cells)
        match = _RECEIPT_ROW.match(text)
        item = _receipt_item(match, decimal_hint) if match else None
        if item is None:
            pending = [index] if re.search(r"[A-Za-zÀ-ÿ]{2}", text) else []
            continue
        description = (match["description"] or "").strip() if match else ""
        used = [index]
        if not description and pending:
            description = lines[pending[-1]].text.replace("\t", " ").strip()
            used = [pending[-1], index]
        pending.clear()
        if not description:
            continue
        item = item.model_copy(update={"description": description})
        found.items.append(ItemReading(item, used, confirmed=_adds_up(item)))
        found.table_lines.update(used)


def _receipt_item(match: re.Match[str], decimal_hint: str | None) -> LineItem | None:
    rest = match["rest"]
    rates = find_percentages(rest)
    for _, start, end in reversed(rates):
        rest = rest[:start] + " " * (end - start) + rest[end:]
    amounts = find_amounts(rest, decimal_hint=decimal_hint, space_grouping=True)
    rate = rates[0][0] if rates else None
    if len(amounts) == 3 and rate is None and not amounts[1].has_cents:
        # OCR lost the "%" of the rate between price and amount ("2 x 192,56  20  385,12").
        rate = amounts[1].value if 0 <= amounts[1].value <= 30 else None
        amounts = [amounts[0], amounts[2]] if rate is not None else amounts
    if len(amounts) != 2:
        return None
    quantity = parse_amount(match["quantity"], decimal_hint=decimal_hint)
    item = LineItem(
        quantity=quantity,
        unit=(match["unit"] or "").strip() or None,
        unit_price=amounts[0].value,
        tax_rate=rate,
        amount=amounts[1].value,
    )
    return item if _adds_up(item) or quantity == 1 or amounts[1].has_cents else None
