"""Login throttling: a fixed window of failed logins per account, against password guessing.

Accounts are named by a hash of their lower-cased email, whether or not anyone registered it,
so that the throttle answers the same for every email and the table holds no addresses.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


def login_key(email: str) -> str:
    """The name an email's failed logins are counted under: sha256 of the lower-cased email."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoginFailures:
    email_key: str
    window_start: datetime
    failures: int


class LoginThrottled(Exception):
    """Too many failed logins for this email lately; no password is checked until ``retry_at``."""

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        super().__init__(f"login throttled until {retry_at.isoformat()}")
        self.retry_at = retry_at
        self.retry_after_seconds = max(1, math.ceil((retry_at - now).total_seconds()))


@dataclass(frozen=True)
class LoginThrottle:
    max_failures: int = 10
    window: timedelta = timedelta(seconds=900)

    def refusal(self, record: LoginFailures | None, now: datetime) -> LoginThrottled | None:
        """Why an attempt may not check a password now, or None when it may."""
        if record is None or not self._in_window(record, now):
            return None
        if record.failures < self.max_failures:
            return None
        return LoginThrottled(record.window_start + self.window, now)

    def counted(self, record: LoginFailures | None, email_key: str, now: datetime) -> LoginFailures:
        """The record after one more failure: a window starts at the first failure after the
        previous window ended, and lasts ``window`` whatever happens in it."""
        if record is None or not self._in_window(record, now):
            return LoginFailures(email_key=email_key, window_start=now, failures=1)
        return LoginFailures(email_key, record.window_start, record.failures + 1)

    def _in_window(self, record: LoginFailures, now: datetime) -> bool:
        return now < record.window_start + self.window
