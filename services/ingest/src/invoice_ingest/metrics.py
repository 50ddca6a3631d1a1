"""Prometheus metrics of uploads, served on /metrics by the shared web frame."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MiB = 1024 * 1024

UPLOADS_ACCEPTED = Counter(
    "ingest_uploads_accepted_total", "Invoice uploads accepted", ["content_type"]
)
UPLOADS_REFUSED = Counter(
    "ingest_uploads_refused_total", "Invoice uploads refused, by reason", ["reason"]
)
UPLOAD_SIZE = Histogram(
    "ingest_upload_size_bytes",
    "Size of accepted invoice files",
    buckets=(16 * 1024, 64 * 1024, 256 * 1024, MiB, 2 * MiB, 5 * MiB, 10 * MiB, 20 * MiB, 50 * MiB),
)
