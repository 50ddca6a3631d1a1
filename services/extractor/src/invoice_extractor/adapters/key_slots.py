"""A limit on the OpenAI calls in flight per API key, so that one user's burst of uploads
cannot use up the workers, or another user's rate limit, while it waits on its own."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from invoice_extractor.metrics import OPENAI_SLOT_WAIT, OPENAI_WAITING_FOR_SLOT


def key_fingerprint(api_key: str) -> str:
    """What the extractor remembers a key by: its SHA-256, never the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass
class _KeySlots:
    semaphore: asyncio.Semaphore
    # Holders and waiters: an entry with either must stay, or the limit would be lost.
    users: int = field(default=0)


class KeySlots:
    """Up to `per_key` calls at once for each key, remembered for up to `capacity` keys.

    Beyond `capacity`, the least recently used keys without calls are forgotten; keys with
    calls are kept even then, so the map outgrows `capacity` only by keys in use.
    """

    def __init__(
        self,
        per_key: int,
        *,
        capacity: int = 1024,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if per_key < 1:
            raise ValueError("per_key must be at least 1")
        self.per_key = per_key
        self._capacity = capacity
        self._clock = clock
        self._keys: OrderedDict[str, _KeySlots] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    @asynccontextmanager
    async def slot(self, api_key: str) -> AsyncIterator[None]:
        """Hold one of the key's slots for the block, waiting for one first if needed."""
        fingerprint = key_fingerprint(api_key)
        slots = self._keys.get(fingerprint)
        if slots is None:
            slots = self._keys[fingerprint] = _KeySlots(asyncio.Semaphore(self.per_key))
        else:
            self._keys.move_to_end(fingerprint)
        slots.users += 1
        self._forget_idle_beyond_capacity()
        try:
            await self._acquire(slots.semaphore)
            try:
                yield
            finally:
                slots.semaphore.release()
        finally:
            slots.users -= 1

    async def _acquire(self, semaphore: asyncio.Semaphore) -> None:
        started = self._clock()
        OPENAI_WAITING_FOR_SLOT.inc()
        try:
            await semaphore.acquire()
        finally:
            OPENAI_WAITING_FOR_SLOT.dec()
        OPENAI_SLOT_WAIT.observe(max(self._clock() - started, 0.0))

    def _forget_idle_beyond_capacity(self) -> None:
        excess = len(self._keys) - self._capacity
        if excess <= 0:
            return
        idle = [fingerprint for fingerprint, slots in self._keys.items() if slots.users == 0]
        for fingerprint in idle[:excess]:
            del self._keys[fingerprint]
