"""Prometheus metrics of the projection; /metrics of the HTTP app exposes them."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_PROJECTED = Counter(
    "query_events_projected_total",
    "Invoice events the projection handled, by event type and outcome (applied or duplicate)",
    ["type", "outcome"],
)
PROJECTION_LAG = Gauge(
    "query_projection_lag_events",
    "The invoice stream's last sequence minus the last sequence the projection applied",
)
DEAD_LETTERS = Counter(
    "query_dead_letters_total",
    "Events the projection could not use and stored in dead_letters",
)
