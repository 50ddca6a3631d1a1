"""Password hashing with Argon2id, off the event loop."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import Parameters as HashParameters
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import get_default_parameters

PRODUCTION_PARAMETERS = get_default_parameters()
# Cheap enough that a test suite can register hundreds of users; refused in production.
FAST_PARAMETERS = HashParameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=1024,
    parallelism=1,
)
PROFILES = {"production": PRODUCTION_PARAMETERS, "fast": FAST_PARAMETERS}


class PasswordHashing:
    """Hashes and checks passwords; every call spends one full hash, in a worker thread."""

    def __init__(self, parameters: HashParameters) -> None:
        self._hasher = PasswordHasher.from_parameters(parameters)
        # A hash of a password nobody knows, so that checking an unknown email costs the
        # same as checking a known one and response times do not reveal who has an account.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    @classmethod
    def for_profile(cls, profile: str) -> PasswordHashing:
        return cls(PROFILES[profile])

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_nobody(self, password: str) -> bool:
        """Spend the time of one check against a hash that matches no password; always False."""
        await asyncio.to_thread(self._verify, self._dummy_hash, password)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
