"""Refresh sessions: opaque tokens that rotate on every use, grouped in families.

A family starts at login. Each refresh revokes the presented token and issues its successor in
the same family, so exactly one token of a family is usable at a time. A revoked token that was
already replaced coming back means two parties hold the family's tokens: the whole family ends.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RefreshSession:
    id: uuid.UUID
    user_id: uuid.UUID
    family_id: uuid.UUID
    token_hash: bytes
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None
    replaced_by: uuid.UUID | None = None

    @property
    def rotated(self) -> bool:
        return self.replaced_by is not None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def successor(self, token: str, now: datetime, ttl: timedelta) -> RefreshSession:
        return RefreshSession(
            id=uuid.uuid4(),
            user_id=self.user_id,
            family_id=self.family_id,
            token_hash=refresh_token_hash(token),
            expires_at=now + ttl,
            created_at=now,
        )

    def revoked(self, now: datetime, replaced_by: uuid.UUID | None = None) -> RefreshSession:
        return replace(self, revoked_at=now, replaced_by=replaced_by)


class RefreshRefused(Exception):
    """The refresh token cannot be used; ``reason`` names why, for metrics and logs."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> bytes:
    # Only the hash is stored, so a copy of the database cannot be replayed as live sessions.
    return hashlib.sha256(token.encode("utf-8")).digest()


def start_family(user_id: uuid.UUID, token: str, now: datetime, ttl: timedelta) -> RefreshSession:
    return RefreshSession(
        id=uuid.uuid4(),
        user_id=user_id,
        family_id=uuid.uuid4(),
        token_hash=refresh_token_hash(token),
        expires_at=now + ttl,
        created_at=now,
    )
