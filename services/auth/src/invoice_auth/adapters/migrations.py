"""Applying auth's Alembic migrations from inside the service."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

logger = logging.getLogger(__name__)

MIGRATIONS_FOLDER = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(connection: Connection) -> None:
    """Runs inside the caller's transaction, which commits or rolls back the whole upgrade.

    Alembic keeps the running migration's context in module globals, so a process must not
    run two upgrades at once; the setup lock held around this call ensures it for the one
    database a process serves.
    """
    before = current_revision(connection)
    head = head_revision()
    if before == head:
        logger.info("auth database schema is current (revision %s)", head)
        return
    command.upgrade(alembic_config(connection), "head")
    logger.info("migrated auth database schema from revision %s to %s", before, head)
