"""Alembic environment: migrations run only through invoice_query.adapters.migrate, which hands
over a connection that already holds the migration lock inside an open transaction."""

from __future__ import annotations

from alembic import context
from invoice_query.adapters.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run the query service's migrations with 'invoice-query migrate', not the alembic CLI"
    )
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
