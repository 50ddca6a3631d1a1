import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from invoice_devstack.postgres import ExternalPostgres, PostgresCluster, PostgresServer

pytestmark = pytest.mark.infra

FreshDatabase = Callable[[], Awaitable[str]]


@pytest.fixture
def work_dir() -> Iterator[Path]:
    # The server may run as the postgres user, which cannot enter pytest's private tmp_path.
    path = Path(tempfile.mkdtemp(prefix="devstack-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cluster(work_dir: Path) -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(work_dir / "data", durable=False)
    yield cluster
    cluster.stop()


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def select_one(url: str) -> tuple[int, str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await connection.fetchrow("select 1 as one, current_database() as name")
        return row["one"], row["name"]
    finally:
        await connection.close()


async def postmaster_start_time(url: str) -> object:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.fetchval("select pg_postmaster_start_time()")
    finally:
        await connection.close()


async def test_fresh_database_gives_each_call_a_new_database(
    fresh_database: FreshDatabase,
) -> None:
    first = await fresh_database()
    second = await fresh_database()

    assert first.startswith("postgresql+asyncpg://")
    assert first != second
    one, name = await select_one(first)
    assert one == 1
    assert first.endswith(f"/{name}")


async def test_postgres_cluster_fixture_creates_databases_idempotently(
    postgres_cluster: PostgresServer,
) -> None:
    await postgres_cluster.acreate_database("devstack_idempotent")
    await postgres_cluster.acreate_database("devstack_idempotent")

    assert (await select_one(postgres_cluster.url("devstack_idempotent")))[0] == 1
    await postgres_cluster.adrop_database("devstack_idempotent")


async def test_databases_survive_a_stop_and_start(cluster: PostgresCluster) -> None:
    cluster.start()
    cluster.create_database("invoices")
    assert await select_one(cluster.url("invoices")) == (1, "invoices")

    cluster.stop()
    assert not cluster.running
    with pytest.raises(OSError):
        await select_one(cluster.url("invoices"))
    cluster.start()

    assert await select_one(cluster.url("invoices")) == (1, "invoices")


async def test_starting_a_running_cluster_again_keeps_its_server(
    cluster: PostgresCluster,
) -> None:
    cluster.start()
    before = await postmaster_start_time(cluster.url("postgres"))

    cluster.start()

    assert await postmaster_start_time(cluster.url("postgres")) == before


async def test_a_server_left_running_by_a_crashed_run_is_replaced(
    cluster: PostgresCluster,
) -> None:
    cluster.start()
    cluster.create_database("kept")
    # A new object over the same folder stands for the runner started again after a crash.
    again = PostgresCluster(cluster.data_dir, port=cluster.port, durable=False)

    again.start()

    assert again.running
    assert await select_one(again.url("kept")) == (1, "kept")


async def test_a_stale_postmaster_pid_does_not_block_start(cluster: PostgresCluster) -> None:
    cluster.start()
    cluster.stop()
    unrelated = await asyncio.create_subprocess_exec("sleep", "60")
    try:
        (cluster.data_dir / "postmaster.pid").write_text(f"{unrelated.pid}\n")

        cluster.start()
    finally:
        unrelated.kill()
        await unrelated.wait()

    assert await select_one(cluster.url("postgres")) == (1, "postgres")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to postgres")
def test_a_folder_postgres_cannot_reach_is_reported(tmp_path: Path) -> None:
    # pytest's tmp_path lies in a folder only root may enter.
    cluster = PostgresCluster(tmp_path / "data")

    with pytest.raises(RuntimeError, match="cannot reach"):
        cluster.start()


def test_urls_name_the_driver_and_database() -> None:
    cluster = PostgresCluster(Path("/nonexistent/data"), port=55432)
    external = ExternalPostgres("postgresql://app:secret@db.example:6543/admin?sslmode=require")

    assert cluster.url("invoices") == "postgresql+asyncpg://postgres@127.0.0.1:55432/invoices"
    assert cluster.url("x", driver="postgresql") == "postgresql://postgres@127.0.0.1:55432/x"
    assert external.admin_database == "admin"
    assert (
        external.url("invoices")
        == "postgresql+asyncpg://app:secret@db.example:6543/invoices?sslmode=require"
    )
