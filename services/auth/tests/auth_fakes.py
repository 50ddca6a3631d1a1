"""Hand-written fakes of auth's own ports, for tests that need no database."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from invoice_auth.adapters.store import StoreUnavailable
from invoice_auth.domain.accounts import EmailAlreadyRegistered, User
from invoice_auth.domain.sessions import RefreshSession
from invoice_auth.domain.signing import StoredSigningKey
from invoice_auth.domain.throttling import LoginFailures
from invoice_auth.domain.user_settings import StoredSettings


@dataclass
class _State:
    users: dict[uuid.UUID, User] = field(default_factory=dict)
    sessions: dict[uuid.UUID, RefreshSession] = field(default_factory=dict)
    settings: dict[uuid.UUID, StoredSettings] = field(default_factory=dict)
    signing_keys: dict[str, StoredSigningKey] = field(default_factory=dict)
    login_failures: dict[str, LoginFailures] = field(default_factory=dict)


class InMemoryTransaction:
    def __init__(self, state: _State) -> None:
        self.state = state

    async def add_user(self, user: User) -> None:
        if any(known.email == user.email for known in self.state.users.values()):
            raise EmailAlreadyRegistered(user.email)
        self.state.users[user.id] = user

    async def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.state.users.values() if u.email == email), None)

    async def user_by_id(self, user_id: uuid.UUID, *, lock: bool = False) -> User | None:
        return self.state.users.get(user_id)

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        self.state.users[user_id] = replace(self.state.users[user_id], password_hash=password_hash)

    async def add_refresh_session(self, session: RefreshSession) -> None:
        if session.user_id not in self.state.users:
            raise AssertionError("a session must belong to a stored user")
        self.state.sessions[session.id] = session

    async def refresh_session_by_token_hash(self, token_hash: bytes) -> RefreshSession | None:
        found = (s for s in self.state.sessions.values() if s.token_hash == token_hash)
        return next(found, None)

    async def save_refresh_session(self, session: RefreshSession) -> None:
        self.state.sessions[session.id] = session

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        live = [
            s
            for s in self.state.sessions.values()
            if s.family_id == family_id and s.revoked_at is None
        ]
        for session in live:
            self.state.sessions[session.id] = replace(session, revoked_at=now)
        return len(live)

    async def settings_of(self, user_id: uuid.UUID) -> StoredSettings | None:
        return self.state.settings.get(user_id)

    async def save_settings(self, settings: StoredSettings) -> None:
        self.state.settings[settings.user_id] = settings

    async def live_signing_keys(self) -> Sequence[StoredSigningKey]:
        live = [k for k in self.state.signing_keys.values() if k.retired_at is None]
        return sorted(live, key=lambda k: k.created_at, reverse=True)

    async def add_signing_key(self, key: StoredSigningKey) -> None:
        self.state.signing_keys[key.kid] = key

    async def retire_signing_key(self, kid: str, now: datetime) -> None:
        key = self.state.signing_keys[kid]
        if key.retired_at is None:
            self.state.signing_keys[kid] = replace(key, retired_at=now)

    async def login_failures(self, email_key: str) -> LoginFailures | None:
        return self.state.login_failures.get(email_key)

    async def save_login_failures(self, record: LoginFailures) -> None:
        self.state.login_failures[record.email_key] = record

    async def forget_login_failures(self, email_key: str) -> None:
        self.state.login_failures.pop(email_key, None)


class InMemoryAuthStore:
    """Transactions run one at a time on a copy that replaces the state only on success."""

    def __init__(self) -> None:
        self.state = _State()
        self.setups = 0
        self.available = True
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InMemoryTransaction]:
        if not self.available:
            raise StoreUnavailable("the fake store was switched off")
        async with self._lock:
            working = copy.deepcopy(self.state)
            yield InMemoryTransaction(working)
            self.state = working

    @asynccontextmanager
    async def setup(self) -> AsyncIterator[InMemoryTransaction]:
        async with self.transaction() as transaction:
            self.setups += 1
            yield transaction

    async def ping(self) -> None:
        async with self.transaction():
            pass

    async def close(self) -> None:
        pass


class SettableClock:
    """A clock that starts at the real time and then moves only when the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
