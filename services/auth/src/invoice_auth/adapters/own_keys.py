"""Auth checks the access tokens sent to its own routes against its own key set."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from invoice_platform.tokens import JwksKeySet, KeySetUnavailable

from invoice_auth.adapters.store import StoreUnavailable

LoadJwks = Callable[[], Awaitable[dict[str, Any]]]


class OwnKeySet(JwksKeySet):
    """The JWKS read straight from the store instead of fetched from auth over HTTP.

    An unknown key id reloads the set (another instance may have made a key since), at most
    once per cool-down so that tokens with made-up key ids cannot hammer the database.
    """

    def __init__(self, load_jwks: LoadJwks, *, reload_cooldown: float = 30.0) -> None:
        super().__init__(jwks_url="", refetch_cooldown=reload_cooldown)
        self._load_jwks = load_jwks
        self._known: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._reload_lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._known:
            return self._known[kid]
        async with self._reload_lock:
            stale = (
                self._loaded_at is None
                or time.monotonic() - self._loaded_at > self.refetch_cooldown
            )
            if kid not in self._known and stale:
                await self._reload()
        return self._known.get(kid)

    async def ready(self) -> None:
        if self._loaded_at is None:
            async with self._reload_lock:
                if self._loaded_at is None:
                    await self._reload()

    async def _reload(self) -> None:
        try:
            jwks = await self._load_jwks()
        except StoreUnavailable as exc:
            raise KeySetUnavailable(f"could not read the signing keys: {exc}") from exc
        self._known = {entry["kid"]: jwt.PyJWK(entry) for entry in jwks.get("keys", [])}
        self._loaded_at = time.monotonic()
