"""Retrying a call to an outside service within one delivery, inside a time budget.

A delivery stays leased while it is retried here, but it also holds a worker. Beyond the budget
the failure is handed to the bus with the wait it still needs, so the invoice comes back
later instead of pinning a worker for minutes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from invoice_extractor.domain.errors import ExtractionError

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class CallRetryPolicy:
    budget_seconds: float = 20.0
    base_seconds: float = 0.5
    cap_seconds: float = 8.0

    def delay(
        self, attempt: int, retry_after_seconds: float | None, uniform: Callable[[], float]
    ) -> float:
        """Full jitter: anywhere between nothing and the exponential step.

        Many invoices failing on the same outage then spread their retries over the whole
        step instead of arriving together. A server's Retry-After is a floor, never shortened.
        """
        step = min(self.cap_seconds, self.base_seconds * 2.0 ** max(attempt - 1, 0))
        return max(uniform() * step, retry_after_seconds or 0.0)


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: CallRetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[object]],
    clock: Callable[[], float] = time.monotonic,
    uniform: Callable[[], float] = random.random,
) -> T:
    """Await `call`, again after each transient ExtractionError while the budget allows.

    The budget covers the calls and the waits between them, from the first call on. When the
    next wait would end beyond it, the failure is raised carrying that wait as
    `retry_after_seconds`; a permanent failure is raised at once.
    """
    started = clock()
    attempt = 1
    while True:
        try:
            return await call()
        except ExtractionError as error:
            if not error.transient:
                raise
            delay = policy.delay(attempt, error.retry_after_seconds, uniform)
            spent = clock() - started
            if spent + delay > policy.budget_seconds:
                logger.info(
                    "%s after %d attempts in %.1f s; the next in %.1f s would exceed the "
                    "%.0f s retry budget",
                    error.error_code,
                    attempt,
                    spent,
                    delay,
                    policy.budget_seconds,
                )
                raise error.deferred(delay) from error
            logger.info(
                "%s on attempt %d; trying again in %.2f s", error.error_code, attempt, delay
            )
            await sleep(delay)
            attempt += 1
