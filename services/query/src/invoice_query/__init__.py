"""The query service: read models of invoices built only from events, and the API that reads them.

The projection consumes every invoice event from JetStream into PostgreSQL; the HTTP API answers
history, search and detail for the authenticated user from those tables alone. The tables can
be dropped and rebuilt from the stream at any time (``invoice-query rebuild``).
"""
