"""How long to wait before a failed extraction is delivered again."""

from __future__ import annotations

import random
from collections.abc import Callable


def redelivery_delay(
    attempt: int,
    *,
    base_seconds: float = 2.0,
    cap_seconds: float = 60.0,
    uniform: Callable[[], float] = random.random,
) -> float:
    """Exponential in the delivery count, capped, with the upper half jittered.

    Keeping the lower half fixed means the delay still grows with every attempt, while the
    jitter spreads out the retries of many invoices that failed on the same outage.
    """
    ceiling = min(cap_seconds, base_seconds * 2.0 ** max(attempt - 1, 0))
    return ceiling / 2 + uniform() * ceiling / 2
