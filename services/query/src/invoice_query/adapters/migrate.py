"""Applying the Alembic migrations at startup, one service instance at a time."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoice_query.adapters.database import DRIVER_ERRORS
from invoice_query.handlers.ports import ReadModelUnavailable

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to differ from other advisory locks in this database.
MIGRATION_LOCK_KEY = 0x51_55_45_52_59_4D_49_47


def _upgrade_to_head(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision.

    Several replicas may start together: the transaction-scoped advisory lock makes the others
    wait, and they then find the schema up to date. Migrations and the lock share one
    transaction, so a failed migration leaves nothing half done.
    """
    try:
        async with engine.begin() as connection:
            await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            await connection.run_sync(_upgrade_to_head)
    except DRIVER_ERRORS as exc:
        raise ReadModelUnavailable(f"could not migrate the read model: {exc}") from exc
    logger.info("read model schema is up to date")
