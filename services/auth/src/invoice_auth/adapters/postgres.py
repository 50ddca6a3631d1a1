"""The storage port on PostgreSQL, through SQLAlchemy's async engine and asyncpg."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from invoice_auth.adapters import schema
from invoice_auth.adapters.migrations import upgrade_to_head
from invoice_auth.adapters.store import StoreUnavailable
from invoice_auth.domain.accounts import EmailAlreadyRegistered, User
from invoice_auth.domain.sessions import RefreshSession
from invoice_auth.domain.signing import StoredSigningKey
from invoice_auth.domain.throttling import LoginFailures
from invoice_auth.domain.user_settings import StoredSettings

logger = logging.getLogger(__name__)

# Any constant works as long as every auth instance uses the same one; advisory locks are
# scoped to the current database, so it cannot collide with other services' databases.
SETUP_LOCK_KEY = 0x696E765F61757468  # "inv_auth"
# The two-key form of advisory locks, with this as the first key, holds one lock per email
# key; two emails sharing a lock only wait for each other.
LOGIN_FAILURES_LOCK_CLASS = 0x6C6F6769  # "logi"


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
    )


def _session(row: RowMapping) -> RefreshSession:
    return RefreshSession(
        id=row["id"],
        user_id=row["user_id"],
        family_id=row["family_id"],
        token_hash=bytes(row["token_hash"]),
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        replaced_by=row["replaced_by"],
    )


def _settings(row: RowMapping) -> StoredSettings:
    ciphertext = row["openai_api_key_ciphertext"]
    return StoredSettings(
        user_id=row["user_id"],
        openai_api_key_ciphertext=bytes(ciphertext) if ciphertext is not None else None,
        openai_api_key_last4=row["openai_api_key_last4"],
        system_prompt=row["system_prompt"],
        model=row["model"],
        updated_at=row["updated_at"],
    )


def _signing_key(row: RowMapping) -> StoredSigningKey:
    return StoredSigningKey(
        kid=row["kid"],
        private_key_ciphertext=bytes(row["private_key_ciphertext"]),
        public_jwk=dict(row["public_jwk"]),
        created_at=row["created_at"],
        retired_at=row["retired_at"],
    )


class PostgresTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _one(self, statement: Any) -> RowMapping | None:
        result = await self.connection.execute(statement)
        return result.mappings().first()

    async def add_user(self, user: User) -> None:
        # ON CONFLICT rather than catching the unique violation: the transaction stays usable
        # and two concurrent registrations of one email cannot both succeed.
        statement = (
            insert(schema.users)
            .values(
                id=user.id,
                email=user.email,
                password_hash=user.password_hash,
                created_at=user.created_at,
            )
            .on_conflict_do_nothing(index_elements=[schema.users.c.email])
            .returning(schema.users.c.id)
        )
        if await self._one(statement) is None:
            raise EmailAlreadyRegistered(user.email)

    async def user_by_email(self, email: str) -> User | None:
        row = await self._one(select(schema.users).where(schema.users.c.email == email))
        return _user(row) if row else None

    async def user_by_id(self, user_id: uuid.UUID, *, lock: bool = False) -> User | None:
        statement = select(schema.users).where(schema.users.c.id == user_id)
        if lock:
            # FOR NO KEY UPDATE: logins (inserting sessions that reference the user) go on.
            statement = statement.with_for_update(key_share=True)
        row = await self._one(statement)
        return _user(row) if row else None

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        await self.connection.execute(
            update(schema.users)
            .where(schema.users.c.id == user_id)
            .values(password_hash=password_hash)
        )

    async def add_refresh_session(self, session: RefreshSession) -> None:
        await self.connection.execute(
            schema.refresh_sessions.insert().values(
                id=session.id,
                user_id=session.user_id,
                family_id=session.family_id,
                token_hash=session.token_hash,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
                replaced_by=session.replaced_by,
                created_at=session.created_at,
            )
        )

    async def refresh_session_by_token_hash(self, token_hash: bytes) -> RefreshSession | None:
        table = schema.refresh_sessions
        row = await self._one(
            select(table).where(table.c.token_hash == token_hash).with_for_update()
        )
        return _session(row) if row else None

    async def save_refresh_session(self, session: RefreshSession) -> None:
        table = schema.refresh_sessions
        await self.connection.execute(
            update(table)
            .where(table.c.id == session.id)
            .values(revoked_at=session.revoked_at, replaced_by=session.replaced_by)
        )

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        table = schema.refresh_sessions
        result = await self.connection.execute(
            update(table)
            .where(table.c.family_id == family_id, table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def settings_of(self, user_id: uuid.UUID) -> StoredSettings | None:
        table = schema.user_settings
        row = await self._one(select(table).where(table.c.user_id == user_id))
        return _settings(row) if row else None

    async def save_settings(self, settings: StoredSettings) -> None:
        values = {
            "openai_api_key_ciphertext": settings.openai_api_key_ciphertext,
            "openai_api_key_last4": settings.openai_api_key_last4,
            "system_prompt": settings.system_prompt,
            "model": settings.model,
            "updated_at": settings.updated_at,
        }
        statement = insert(schema.user_settings).values(user_id=settings.user_id, **values)
        await self.connection.execute(
            statement.on_conflict_do_update(index_elements=["user_id"], set_=values)
        )

    async def live_signing_keys(self) -> Sequence[StoredSigningKey]:
        table = schema.signing_keys
        result = await self.connection.execute(
            select(table).where(table.c.retired_at.is_(None)).order_by(table.c.created_at.desc())
        )
        return [_signing_key(row) for row in result.mappings()]

    async def add_signing_key(self, key: StoredSigningKey) -> None:
        await self.connection.execute(
            schema.signing_keys.insert().values(
                kid=key.kid,
                private_key_ciphertext=key.private_key_ciphertext,
                public_jwk=key.public_jwk,
                created_at=key.created_at,
                retired_at=key.retired_at,
            )
        )

    async def retire_signing_key(self, kid: str, now: datetime) -> None:
        table = schema.signing_keys
        await self.connection.execute(
            update(table)
            .where(table.c.kid == kid, table.c.retired_at.is_(None))
            .values(retired_at=now)
        )

    async def login_failures(self, email_key: str) -> LoginFailures | None:
        # A row lock cannot cover an email's first failure, whose row does not exist yet.
        lock_id = int(email_key[:8], 16) - 2**31
        await self.connection.execute(
            select(func.pg_advisory_xact_lock(LOGIN_FAILURES_LOCK_CLASS, lock_id))
        )
        table = schema.login_failures
        row = await self._one(select(table).where(table.c.email_key == email_key))
        if row is None:
            return None
        return LoginFailures(row["email_key"], row["window_start"], row["failures"])

    async def save_login_failures(self, record: LoginFailures) -> None:
        values = {"window_start": record.window_start, "failures": record.failures}
        statement = insert(schema.login_failures).values(email_key=record.email_key, **values)
        await self.connection.execute(
            statement.on_conflict_do_update(index_elements=["email_key"], set_=values)
        )

    async def forget_login_failures(self, email_key: str) -> None:
        table = schema.login_failures
        await self.connection.execute(table.delete().where(table.c.email_key == email_key))


class PostgresAuthStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 5) -> PostgresAuthStore:
        # hide_parameters: statement parameters (hashes, sealed keys) stay out of logs and
        # error messages even at DEBUG level.
        engine = create_async_engine(
            url, pool_size=pool_size, pool_pre_ping=True, hide_parameters=True
        )
        return cls(engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        try:
            async with self._engine.begin() as connection:
                yield PostgresTransaction(connection)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"auth database failed: {type(exc).__name__}") from exc

    @asynccontextmanager
    async def setup(self) -> AsyncIterator[PostgresTransaction]:
        async with self.transaction() as transaction:
            connection = transaction.connection
            # Held until this transaction ends: a second instance starting at the same time
            # waits here and then finds the schema current and the signing key in place.
            await connection.execute(select(func.pg_advisory_xact_lock(SETUP_LOCK_KEY)))
            await connection.run_sync(upgrade_to_head)
            yield transaction

    async def ping(self) -> None:
        async with self.transaction() as transaction:
            await transaction.connection.execute(text("select 1"))

    async def close(self) -> None:
        await self._engine.dispose()
