"""How requests reach the ingest use cases: HTTP routes."""
