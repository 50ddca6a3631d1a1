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
OPENAI_CALLS = Counter(
    "extractor_openai_calls_total",
    "Requests made to OpenAI, retries included, by result (ok or the failure's code)",
    ["result"],
)
OPENAI_SLOT_WAIT = Histogram(
    "extractor_openai_slot_wait_seconds",
    "Time an OpenAI call waited for a free slot of its API key before it was sent",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
OPENAI_WAITING_FOR_SLOT = Gauge(
    "extractor_openai_waiting_for_slot", "OpenAI calls waiting for a free slot of their API key"
)
