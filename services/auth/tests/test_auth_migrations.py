"""Auth's schema migrations: applied at startup, once, by one instance at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from auth_support import auth_settings
from invoice_auth.adapters.migrations import alembic_config, current_revision, head_revision
from invoice_auth.adapters.postgres import PostgresAuthStore
from invoice_auth.adapters.schema import metadata
from invoice_auth.bootstrap import start
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

pytestmark = pytest.mark.infra

SCHEMA_SNAPSHOT = """
select table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
from information_schema.columns where table_schema = 'public'
union all
select indexname || ':' || indexdef from pg_indexes where schemaname = 'public'
order by 1
"""


@pytest.fixture
async def database_url(fresh_database: Callable[[], Awaitable[str]]) -> str:
    return await fresh_database()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def migrate(database_url: str) -> None:
    store = PostgresAuthStore.from_url(database_url, pool_size=1)
    try:
        async with store.setup():
            pass
    finally:
        await store.close()


async def snapshot(engine: AsyncEngine) -> tuple[str | None, list[str]]:
    async with engine.connect() as connection:
        revision = await connection.run_sync(current_revision)
        rows = (await connection.execute(sa.text(SCHEMA_SNAPSHOT))).scalars().all()
    return revision, list(rows)


async def test_migrating_creates_the_tables_at_the_head_revision(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrate(database_url)

    revision, schema = await snapshot(engine)
    assert revision == head_revision() is not None
    tables = {line.split(".", 1)[0] for line in schema if "." in line.split(":", 1)[0]}
    assert {
        "users",
        "refresh_sessions",
        "user_settings",
        "signing_keys",
        "login_failures",
    } <= tables


async def test_migrating_a_current_database_again_changes_nothing(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrate(database_url)
    before = await snapshot(engine)

    await migrate(database_url)

    assert await snapshot(engine) == before


async def test_the_migrations_build_exactly_the_schema_the_queries_use(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrate(database_url)

    def differences(connection: sa.Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_the_migrations_downgrade_and_upgrade_again(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrate(database_url)
    before = await snapshot(engine)

    def downgrade(connection: sa.Connection) -> None:
        command.downgrade(alembic_config(connection), "base")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)
    assert (await snapshot(engine))[0] is None
    await migrate(database_url)

    assert await snapshot(engine) == before


async def test_instances_starting_together_migrate_once_and_share_one_signing_key(
    database_url: str, engine: AsyncEngine
) -> None:
    settings = auth_settings(database_url=database_url)
    stores = [PostgresAuthStore.from_url(database_url, pool_size=1) for _ in range(3)]
    try:
        runtimes = await asyncio.gather(*(start(settings, store) for store in stores))
    finally:
        for store in stores:
            await store.close()

    kids = {(await runtime.service.signing_key.get()).kid for runtime in runtimes}
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.text("select kid from signing_keys"))).all()
    assert len(kids) == 1
    assert [row.kid for row in stored] == list(kids)
