"""The storage port: what the use cases need from auth's database, whoever implements it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from invoice_auth.domain.accounts import User
from invoice_auth.domain.sessions import RefreshSession
from invoice_auth.domain.signing import StoredSigningKey
from invoice_auth.domain.throttling import LoginFailures
from invoice_auth.domain.user_settings import StoredSettings


class StoreUnavailable(Exception):
    """The database cannot be reached or failed in a way the caller cannot fix."""


class AuthTransaction(Protocol):
    """One atomic unit of work; it commits when its block ends without an exception."""

    async def add_user(self, user: User) -> None:
        """Raises EmailAlreadyRegistered when the (stored-form) email is taken."""

    async def user_by_email(self, email: str) -> User | None: ...

    async def user_by_id(self, user_id: uuid.UUID, *, lock: bool = False) -> User | None:
        """With ``lock``, the user's changes serialize until the transaction ends."""

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None: ...

    async def add_refresh_session(self, session: RefreshSession) -> None: ...

    async def refresh_session_by_token_hash(self, token_hash: bytes) -> RefreshSession | None:
        """The session, locked until the transaction ends so that concurrent uses serialize."""

    async def save_refresh_session(self, session: RefreshSession) -> None:
        """Stores the revocation fields of an existing session."""

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        """Revokes every still-live session of the family; returns how many."""

    async def settings_of(self, user_id: uuid.UUID) -> StoredSettings | None: ...

    async def save_settings(self, settings: StoredSettings) -> None: ...

    async def live_signing_keys(self) -> Sequence[StoredSigningKey]:
        """Signing keys not retired, newest first."""

    async def add_signing_key(self, key: StoredSigningKey) -> None: ...

    async def retire_signing_key(self, kid: str, now: datetime) -> None: ...

    async def login_failures(self, email_key: str) -> LoginFailures | None:
        """The email's count, which no other transaction changes until this one ends, even
        while no row exists yet."""

    async def save_login_failures(self, record: LoginFailures) -> None: ...

    async def forget_login_failures(self, email_key: str) -> None: ...


class AuthStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AuthTransaction]: ...

    def setup(self) -> AbstractAsyncContextManager[AuthTransaction]:
        """Brings the schema up to date and yields a transaction that no other instance's
        setup runs alongside, for one-time work such as creating the first signing key."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
