"""PostgreSQL for the local stack and the tests: a cluster from the machine's binaries, or a
server someone else runs, behind one small interface."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from invoice_devstack.lifecycle import Managed
from invoice_devstack.ports import free_port, wait_for_port

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PG_USER = "postgres"
_SOCKET_PATH_LIMIT = 100
_NOT_DURABLE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresServer(Protocol):
    """What code needs from "a PostgreSQL here", whoever runs it."""

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str: ...

    def create_database(self, name: str) -> None: ...

    async def acreate_database(self, name: str) -> None: ...

    def drop_database(self, name: str) -> None: ...

    async def adrop_database(self, name: str) -> None: ...


def postgres_bin_dir() -> Path:
    """$PG_BIN, else the bin dir of the highest version under /usr/lib/postgresql."""
    configured = os.environ.get("PG_BIN")
    if configured:
        return Path(configured)
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "pg_ctl").exists() and path.parent.name.isdigit()
    ]
    if not candidates:
        raise FileNotFoundError(
            "no PostgreSQL binaries under /usr/lib/postgresql/*/bin; set PG_BIN to their folder"
        )
    return max(candidates, key=lambda path: int(path.parent.name))


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run_blocking(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    # A thread of its own, because asyncio.run refuses to run inside a running loop and
    # would replace the current thread's event loop, which pytest-asyncio keeps for a session.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


class _DatabaseAdmin(ABC):
    """Creating and dropping databases through the server's admin database."""

    admin_database = "postgres"

    @abstractmethod
    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str: ...

    async def acreate_database(self, name: str) -> None:
        connection = await asyncpg.connect(self.url(self.admin_database, driver="postgresql"))
        try:
            exists = await connection.fetchval("select 1 from pg_database where datname = $1", name)
            if exists:
                return
            try:
                await connection.execute(f"create database {_quote_identifier(name)}")
            except asyncpg.DuplicateDatabaseError:
                # Another caller created it between the check and the create.
                return
            logger.info("created database %s", name)
        finally:
            await connection.close()

    async def adrop_database(self, name: str) -> None:
        connection = await asyncpg.connect(self.url(self.admin_database, driver="postgresql"))
        try:
            # FORCE ends sessions a test left open; the database is gone either way.
            await connection.execute(
                f"drop database if exists {_quote_identifier(name)} with (force)"
            )
        finally:
            await connection.close()

    def create_database(self, name: str) -> None:
        _run_blocking(lambda: self.acreate_database(name))

    def drop_database(self, name: str) -> None:
        _run_blocking(lambda: self.adrop_database(name))


class ExternalPostgres(_DatabaseAdmin):
    """A PostgreSQL server run by someone else, given by a URL with admin rights."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if not parts.scheme.startswith("postgres"):
            raise ValueError("expected a postgresql:// URL")
        self._netloc = parts.netloc
        self._query = parts.query
        self.admin_database = parts.path.lstrip("/") or "postgres"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return urlunsplit((driver, self._netloc, "/" + quote(database), self._query, ""))

    def __repr__(self) -> str:
        host = self._netloc.rpartition("@")[2]
        return f"ExternalPostgres({host})"


def _process_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class PostgresCluster(_DatabaseAdmin, Managed):
    """A PostgreSQL cluster in `data_dir`, created on first start and kept across restarts.

    When run as root the server runs as the postgres user, which must be able to reach
    `data_dir`: pick a folder whose ancestors others may traverse (for example under /tmp).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        socket_dir: Path | None = None,
        log_path: Path | None = None,
        bin_dir: Path | None = None,
        durable: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port if port is not None else free_port()
        self.host = host
        self.socket_dir = Path(socket_dir) if socket_dir else self._default_socket_dir()
        self.log_path = Path(log_path) if log_path else self.data_dir.parent / "postgres.log"
        self.bin_dir = Path(bin_dir) if bin_dir else postgres_bin_dir()
        self.durable = durable
        self._as_root = os.geteuid() == 0
        self._started = False

    def _default_socket_dir(self) -> Path:
        beside = self.data_dir.parent / f"{self.data_dir.name}-socket"
        if len(str(beside / ".s.PGSQL.65535")) <= _SOCKET_PATH_LIMIT:
            return beside
        # Unix socket paths are limited to about 107 bytes; deep test folders exceed that.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"invoice-pg-{digest}"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{_PG_USER}@{self.host}:{self.port}/{quote(database)}"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    @property
    def running(self) -> bool:
        return self._live_postmaster_pid() is not None

    def start(self, timeout: float = 60.0) -> None:
        if self._started and self.running:
            return
        self._prepare_directories()
        if not self.initialized:
            self._initdb()
        self._clear_previous_run()
        options = (
            f"-p {self.port} -k {shlex.quote(str(self.socket_dir))} -c listen_addresses={self.host}"
        )
        if not self.durable:
            options += " " + _NOT_DURABLE
        logger.info("starting PostgreSQL in %s on port %d", self.data_dir, self.port)
        result = self._pg_ctl(
            "start", "-l", str(self.log_path), "-o", options, "-w", "-t", str(int(timeout))
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed ({result.returncode}): {result.stdout.strip()}; "
                f"see {self.log_path}:\n{self._log_tail()}"
            )
        wait_for_port(self.host, self.port, timeout=10.0)
        self._started = True

    def stop(self, timeout: float = 60.0) -> None:
        self._started = False
        if not self.running:
            return
        result = self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(int(timeout)))
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {result.stdout.strip()}")
        logger.info("stopped PostgreSQL in %s", self.data_dir)

    def _prepare_directories(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch(exist_ok=True)
        if not self._as_root:
            return
        # initdb and postgres refuse to run as root, so the postgres user must own the files.
        user = pwd.getpwnam(_PG_USER)
        for path in (self.data_dir, self.socket_dir, self.log_path):
            if path.stat().st_uid != user.pw_uid:
                _chown_tree(path, user.pw_uid, user.pw_gid)
        check = self._run(["test", "-w", str(self.data_dir), "-a", "-w", str(self.socket_dir)])
        if check.returncode != 0:
            raise RuntimeError(
                f"the {_PG_USER} user cannot reach {self.data_dir} or {self.socket_dir}; "
                "choose folders whose parents others may traverse (for example under /tmp)"
            )

    def _initdb(self) -> None:
        logger.info("creating a PostgreSQL cluster in %s", self.data_dir)
        result = self._run(
            [
                str(self.bin_dir / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={_PG_USER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ]
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}")

    def _pid_from_file(self) -> int | None:
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first_line.strip())
        except (OSError, ValueError):
            return None

    def _is_our_postmaster(self, pid: int) -> bool:
        cmdline = _process_cmdline(pid)
        if not cmdline:
            return False
        return "postgres" in Path(cmdline[0]).name and str(self.data_dir) in cmdline

    def _live_postmaster_pid(self) -> int | None:
        pid = self._pid_from_file()
        return pid if pid is not None and self._is_our_postmaster(pid) else None

    def _clear_previous_run(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        pid = self._pid_from_file()
        if pid is not None and self._is_our_postmaster(pid):
            logger.warning(
                "PostgreSQL from an earlier run still serves %s; stopping it", self.data_dir
            )
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        elif pid is not None and Path(f"/proc/{pid}").exists():
            # The PID is now an unrelated process or an unreaped zombie, either of which makes
            # postgres refuse to start. A dead PID is left alone: postgres then checks itself
            # that no orphaned backend still uses the old shared memory.
            logger.warning("removing %s: PID %d is not this cluster's server", pid_file, pid)
            pid_file.unlink(missing_ok=True)
        elif pid is None and pid_file.exists():
            logger.warning("removing unreadable %s", pid_file)
            pid_file.unlink(missing_ok=True)
        # The socket folder belongs to this cluster alone and no server of it runs now.
        for path in self.socket_dir.glob(".s.PGSQL.*"):
            path.unlink(missing_ok=True)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args])

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        if self._as_root:
            command = ["runuser", "-u", _PG_USER, "--", *command]
        return subprocess.run(
            command,
            cwd=self.socket_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            check=False,
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __repr__(self) -> str:
        return f"PostgresCluster({self.data_dir}, port={self.port})"


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def _docker_reachable() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # any failure to reach the engine means "no Docker here"
        return False
    return True


@contextlib.contextmanager
def postgres_for_tests() -> Iterator[PostgresServer]:
    """The PostgreSQL the tests should use, stopped or removed afterwards.

    $TEST_POSTGRES_URL (a server with rights to create databases) wins; next a testcontainers
    container when $TEST_USE_TESTCONTAINERS=1 and Docker answers; otherwise a throwaway
    cluster from the machine's binaries.
    """
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield ExternalPostgres(url)
        return
    if os.environ.get("TEST_USE_TESTCONTAINERS") == "1":
        if _docker_reachable():
            with _container_postgres() as server:
                yield server
            return
        logger.warning(
            "TEST_USE_TESTCONTAINERS=1 but Docker is not reachable; using local binaries"
        )
    # Not under pytest's own temp folder: that one is private to root, and when run as root
    # the server runs as the postgres user, which must be able to reach its data.
    work_dir = Path(tempfile.mkdtemp(prefix="invoice-pg-"))
    try:
        work_dir.chmod(0o755)
        with PostgresCluster(work_dir / "data", durable=False) as cluster:
            yield cluster
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


@contextlib.contextmanager
def _container_postgres() -> Iterator[PostgresServer]:
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers before the community namespace
        from testcontainers.postgres import PostgresContainer

    image = os.environ.get("TEST_POSTGRES_IMAGE", "postgres:16-alpine")
    # A throwaway container reachable only from this machine; its password guards nothing.
    password = "postgres"  # noqa: S105
    container = PostgresContainer(
        image, username="postgres", password=password, dbname="postgres", driver=None
    )
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(5432)
        yield ExternalPostgres(f"postgresql://postgres:{password}@{host}:{port}/postgres")
