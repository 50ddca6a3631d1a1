"""Alembic environment for auth's database.

The service hands in an open connection (config.attributes["connection"]) when it migrates at
startup; the alembic command line instead gets the async URL from -x url=... or
AUTH_DATABASE_URL and opens its own connection.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from invoice_auth.adapters.schema import metadata
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "AUTH_DATABASE_URL"
    )
    if not url:
        raise RuntimeError("set AUTH_DATABASE_URL or pass -x url=postgresql+asyncpg://...")
    return url


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_with_own_connection() -> None:
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
    finally:
        await engine.dispose()


def _run() -> None:
    if context.is_offline_mode():
        context.configure(url=_database_url(), target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
    else:
        asyncio.run(_migrate_with_own_connection())


_run()
