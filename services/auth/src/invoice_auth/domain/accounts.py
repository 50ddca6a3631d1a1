"""Users and the rules their credentials follow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    password_hash: str
    created_at: datetime


class RegistrationRefused(Exception):
    """The email or password given for a new account is not acceptable."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


class EmailAlreadyRegistered(Exception):
    """Another account already uses this email."""


class InvalidCredentials(Exception):
    """Unknown email or wrong password: deliberately the same error for both."""


def lookup_email(email: str) -> str:
    """The form an email is stored and looked up in: trimmed and lower-cased."""
    return email.strip().lower()


def registration_email(email: str) -> str:
    """The email of a new account, checked and in stored form, or RegistrationRefused."""
    candidate = email.strip()
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise RegistrationRefused(
            "email", f"The email is longer than {MAX_EMAIL_LENGTH} characters."
        )
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise RegistrationRefused("email", f"The email is not valid: {exc}") from exc
    return lookup_email(checked.normalized)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RegistrationRefused(
            "password",
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise RegistrationRefused(
            "password",
            f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters.",
        )
