"""The extracted invoice: one model for the LLM's structured output and for the frontend.

Every field is nullable and has no meaning beyond what the document says: a field the document
does not carry is ``null``, never ``""``. Amounts are exact decimals, serialized as strings so
that no JSON reader turns them into floats; dates are ISO 8601 calendar dates.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _reject_float(value: Any) -> Any:
    # A float has already lost the exact value; accepting it would hide that.
    if isinstance(value, float):
        raise ValueError("amounts must be given as decimal strings, not floats")
    return _blank_to_none(value)


# Each of these is nullable by construction: a blank string from a reader becomes null.
Amount = Annotated[
    Decimal | None,
    BeforeValidator(_reject_float),
    PlainSerializer(lambda v: None if v is None else format(v, "f"), when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": DECIMAL_PATTERN,
                    "description": "Exact decimal number with '.' as separator and no "
                    "grouping, for example 1234.50",
                },
                {"type": "null"},
            ]
        }
    ),
]
Text = Annotated[str | None, BeforeValidator(_blank_to_none)]
IsoDate = Annotated[
    date | None,
    BeforeValidator(_blank_to_none),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
]


def _check_currency(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("currency must be an ISO 4217 code of three capital letters")
    return value


CurrencyCode = Annotated[
    str | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(_check_currency),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"},
                {"type": "null"},
            ]
        }
    ),
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Part):
    name: Text = None
    address: Text = None
    tax_id: Text = Field(default=None, description="VAT or other tax identification")
    email: Text = None
    phone: Text = None


class ServicePeriod(_Part):
    start: IsoDate = None
    end: IsoDate = None


class TaxLine(_Part):
    rate: Amount = Field(default=None, description="Percent, for example 19 or 7.5")
    base: Amount = Field(default=None, description="Net amount the rate applies to")
    amount: Amount = None


class LineItem(_Part):
    description: Text = None
    code: Text = Field(default=None, description="Article number or SKU")
    quantity: Amount = None
    unit: Text = None
    unit_price: Amount = None
    tax_rate: Amount = Field(default=None, description="Percent")
    amount: Amount = Field(default=None, description="Line total as printed")


class Payment(_Part):
    terms: Text = None
    iban: Text = Field(default=None, description="IBAN or account number")
    bic: Text = None
    reference: Text = None


class InvoiceData(_Part):
    """What an extraction reads off an invoice."""

    invoice_number: Text = None
    purchase_order: Text = None
    issue_date: IsoDate = None
    due_date: IsoDate = None
    service_period: ServicePeriod | None = None
    currency: CurrencyCode = None
    language: Text = Field(default=None, description="ISO 639-1 code, for example de")
    vendor: Party | None = None
    customer: Party | None = None
    subtotal: Amount = None
    tax_total: Amount = None
    tax_breakdown: list[TaxLine] = Field(default_factory=list)
    discount_total: Amount = None
    shipping: Amount = None
    total: Amount = None
    amount_due: Amount = None
    amount_paid: Amount = None
    line_items: list[LineItem] = Field(default_factory=list)
    payment: Payment | None = None


class TokenUsage(_Part):
    input_tokens: int = 0
    output_tokens: int = 0


class ExtractionWarning(_Part):
    code: str
    message: str


ProviderName = Literal["openai", "offline"]


class Extraction(_Part):
    """An extraction as recorded: the data and how it was obtained."""

    data: InvoiceData
    provider: ProviderName
    model: str = Field(description="The LLM, or the offline method, that produced the data")
    prompt_version: str | None = None
    duration_ms: int = Field(ge=0)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    cost_usd: Amount = None
    confidence: dict[str, float] = Field(
        default_factory=dict,
        description="Confidence from 0 to 1 per field path (for example 'total'), where the "
        "method can tell",
    )
    warnings: list[ExtractionWarning] = Field(default_factory=list)


def _strict(schema: Any) -> None:
    """Make every object closed and every property required, as strict structured outputs want."""
    if isinstance(schema, list):
        for item in schema:
            _strict(item)
        return
    if not isinstance(schema, dict):
        return
    schema.pop("title", None)
    schema.pop("default", None)
    properties = schema.get("properties")
    if schema.get("type") == "object" and isinstance(properties, dict):
        schema["additionalProperties"] = False
        schema["required"] = list(properties)
        for subschema in properties.values():
            _strict(subschema)
    for key in ("items", "anyOf", "allOf", "oneOf", "$defs"):
        if key == "$defs" and isinstance(schema.get(key), dict):
            for subschema in schema[key].values():
                _strict(subschema)
        elif key in schema:
            _strict(schema[key])


def invoice_data_json_schema() -> dict[str, Any]:
    """The JSON Schema of InvoiceData, in the strict form that OpenAI structured outputs accept.

    The frontend reads the very same schema, so what the LLM is asked for and what the UI
    renders cannot drift apart.
    """
    schema = copy.deepcopy(InvoiceData.model_json_schema(mode="serialization"))
    _strict(schema)
    return schema
