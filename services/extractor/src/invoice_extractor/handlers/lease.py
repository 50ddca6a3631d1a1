"""Keeping a delivery from being redelivered while its extraction is still running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from invoice_extractor.handlers.ports import Delivery

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lease_kept(delivery: Delivery, interval_seconds: float) -> AsyncIterator[None]:
    """Report progress every `interval_seconds` until the block ends.

    JetStream redelivers a message that is not acknowledged within its ack wait; an LLM call
    may take longer than that, so the lease is renewed well inside it (a third of it).
    """

    async def renew() -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await delivery.in_progress()
            except Exception as exc:
                # A missed renewal at worst causes a redelivery, which the handler tolerates.
                logger.warning(
                    "could not renew the lease of stream sequence %d: %r",
                    delivery.stream_sequence,
                    exc,
                )

    renewal = asyncio.create_task(renew(), name=f"lease-{delivery.stream_sequence}")
    try:
        yield
    finally:
        renewal.cancel()
        await asyncio.wait([renewal])
