"""What an OpenAI call costs, from its token usage, as an exact decimal."""

from __future__ import annotations

import re
from decimal import Decimal

from invoice_contracts.extraction import TokenUsage

PER_MILLION = Decimal(1_000_000)

# US dollars per million input and output tokens, from OpenAI's published price list.
PRICES_PER_MILLION_TOKENS: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
}

_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def cost_usd(model: str, usage: TokenUsage) -> Decimal | None:
    """None for a model without a known price, rather than a guess."""
    # Answers name the dated snapshot (gpt-4o-mini-2024-07-18); it costs what its family costs.
    prices = PRICES_PER_MILLION_TOKENS.get(model) or PRICES_PER_MILLION_TOKENS.get(
        _SNAPSHOT_SUFFIX.sub("", model)
    )
    if prices is None:
        return None
    input_price, output_price = prices
    total = usage.input_tokens * input_price + usage.output_tokens * output_price
    return total / PER_MILLION
