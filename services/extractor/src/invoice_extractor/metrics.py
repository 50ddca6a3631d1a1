"""Prometheus metrics of the extractor, served on /metrics by the shared web frame."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EXTRACTIONS = Counter(
    "extractor_extractions_total",
    "Deliveries of uploaded invoices handled, by provider and outcome",
    ["provider", "outcome"],
)
EXTRACTION_DURATION = Histogram(
    "extractor_extraction_duration_seconds",
    "Time a provider took to extract one invoice, successful or not",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
OPENAI_TOKENS = Counter(
    "extractor_openai_tokens_total", "Tokens billed by OpenAI", ["model", "direction"]
)
OPENAI_COST = Counter(
    "extractor_openai_cost_usd_total",
    "US dollars billed by OpenAI, where the price is known",
    ["model"],
)
NAKS = Counter(
    "extractor_naks_total", "Deliveries handed back for a later retry, by reason", ["reason"]
)
POISON_MESSAGES = Counter(
    "extractor_poison_messages_total", "Messages that were not a readable InvoiceUploaded"
)
IN_FLIGHT = Gauge("extractor_in_flight", "Invoices being extracted right now")
