"""Auth's use cases: accounts, sessions, settings and the signing keys behind them."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from invoice_auth.adapters.store import AuthStore
from invoice_auth.domain.accounts import (
    MAX_EMAIL_LENGTH,
    MAX_PASSWORD_LENGTH,
    InvalidCredentials,
    User,
    check_new_password,
    lookup_email,
    registration_email,
)
from invoice_auth.domain.encryption import SecretBox, SecretUnreadable
from invoice_auth.domain.passwords import PasswordHashing
from invoice_auth.domain.sessions import (
    RefreshRefused,
    RefreshSession,
    new_refresh_token,
    refresh_token_hash,
    start_family,
)
from invoice_auth.domain.signing import (
    SIGNING_KEY_CACHE,
    SigningKey,
    StoredSigningKey,
    TokenIssuer,
    key_that_signs,
    keys_to_retire,
)
from invoice_auth.domain.throttling import LoginThrottle, login_key
from invoice_auth.domain.user_settings import (
    SettingsChanges,
    StoredSettings,
    api_key_context,
    checked_api_key,
    checked_model,
    checked_system_prompt,
    mask_api_key,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DEFAULT_LOGIN_THROTTLE = LoginThrottle()

REGISTRATIONS = Counter("auth_registrations_total", "Accounts registered")
LOGINS = Counter(
    "auth_logins_total", "Login attempts, by outcome (success, failure, throttled)", ["outcome"]
)
REFRESHES = Counter(
    "auth_refreshes_total",
    "Refresh token uses, by outcome (success, unknown, revoked, expired, reused)",
    ["outcome"],
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnknownUser(Exception):
    """No account has this id (any more)."""


class SigningKeyUnreadable(Exception):
    """The stored signing key does not decrypt with the configured encryption key."""


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


@dataclass(frozen=True)
class SettingsView:
    """What the owner sees: the key only masked."""

    openai_api_key_set: bool
    openai_api_key: str | None
    system_prompt: str | None
    model: str
    updated_at: datetime | None


@dataclass(frozen=True)
class ExtractionSettings:
    """What the extractor needs for one user's invoices: the key in full."""

    openai_api_key: str | None
    system_prompt: str | None
    model: str


async def prepare_signing_key(store: AuthStore, box: SecretBox, now: datetime) -> None:
    """Makes and stores the first signing key when the store has none."""
    async with store.setup() as transaction:
        if not await transaction.live_signing_keys():
            key = SigningKey.generate(now)
            await transaction.add_signing_key(key.sealed(box))
            logger.info("created signing key %s", key.kid)


@dataclass(frozen=True)
class KeyRotation:
    new_kid: str
    retired_kids: list[str]
    published_kids: list[str]


async def rotate_signing_key(
    store: AuthStore, box: SecretBox, now: datetime, access_ttl: timedelta
) -> KeyRotation:
    """Adds a new signing key and retires the keys no unexpired token can name any more."""
    key = SigningKey.generate(now)
    # Under the setup lock, so that two rotations, or a rotation and a first start, cannot
    # interleave.
    async with store.setup() as transaction:
        await transaction.add_signing_key(key.sealed(box))
        live = await transaction.live_signing_keys()
        retired = keys_to_retire(live, now, access_ttl)
        for old in retired:
            await transaction.retire_signing_key(old.kid, now)
    retired_kids = [old.kid for old in retired]
    published = [stored.kid for stored in live if stored.kid not in retired_kids]
    logger.info(
        "rotated signing keys: made %s, retired %s, published %s",
        key.kid,
        ", ".join(retired_kids) or "none",
        ", ".join(published),
    )
    return KeyRotation(key.kid, retired_kids, published)


class CurrentSigningKey:
    """The key new tokens are signed with, as the store says, read again every
    SIGNING_KEY_CACHE so that a rotation reaches running instances without a restart."""

    def __init__(
        self,
        store: AuthStore,
        box: SecretBox,
        clock: Clock = utc_now,
        *,
        cache_for: timedelta = SIGNING_KEY_CACHE,
    ) -> None:
        self.store = store
        self.box = box
        self.clock = clock
        self.cache_for = cache_for
        self._key: SigningKey | None = None
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> SigningKey:
        if self._key is not None and not self._stale():
            return self._key
        async with self._lock:
            if self._key is None or self._stale():
                now = self.clock()
                async with self.store.transaction() as transaction:
                    live = await transaction.live_signing_keys()
                if not live:
                    raise SigningKeyUnreadable(
                        "every signing key is retired; run 'invoice-auth rotate-signing-key'"
                    )
                chosen = key_that_signs(live, now)
                if self._key is None or self._key.kid != chosen.kid:
                    self._key = self._unsealed(chosen)
                    logger.info("signing new access tokens with key %s", chosen.kid)
                self._read_at = now
        return self._key

    def _stale(self) -> bool:
        return self._read_at is None or self.clock() >= self._read_at + self.cache_for

    def _unsealed(self, stored: StoredSigningKey) -> SigningKey:
        try:
            return SigningKey.unsealed(stored, self.box)
        except SecretUnreadable as exc:
            raise SigningKeyUnreadable(
                f"signing key {stored.kid} does not decrypt with AUTH_SETTINGS_ENCRYPTION_KEY: "
                "start with the key it was stored under, or retire the stored signing keys "
                "(set signing_keys.retired_at) and run 'invoice-auth rotate-signing-key'"
            ) from exc


class AuthService:
    def __init__(
        self,
        store: AuthStore,
        passwords: PasswordHashing,
        signing_key: CurrentSigningKey,
        box: SecretBox,
        *,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        default_model: str,
        login_throttle: LoginThrottle = DEFAULT_LOGIN_THROTTLE,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.passwords = passwords
        self.signing_key = signing_key
        self.box = box
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.default_model = default_model
        self.login_throttle = login_throttle
        self.clock = clock

    async def register(self, email: str, password: str) -> User:
        stored_email = registration_email(email)
        check_new_password(password)
        user = User(
            id=uuid.uuid4(),
            email=stored_email,
            password_hash=await self.passwords.hash(password),
            created_at=self.clock(),
        )
        async with self.store.transaction() as transaction:
            await transaction.add_user(user)
        REGISTRATIONS.inc()
        logger.info("registered user %s", user.id)
        return user

    async def login(self, email: str, password: str) -> IssuedTokens:
        stored_email = lookup_email(email)
        if len(stored_email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            # No account can match, whatever the email: refusing early reveals nothing.
            LOGINS.labels("failure").inc()
            raise InvalidCredentials
        email_key = login_key(stored_email)
        user = await self._counted_attempt(email_key, stored_email)
        if user is None:
            await self.passwords.verify_nobody(password)
            LOGINS.labels("failure").inc()
            raise InvalidCredentials
        if not await self.passwords.verify(user.password_hash, password):
            LOGINS.labels("failure").inc()
            logger.info("wrong password for user %s", user.id)
            raise InvalidCredentials

        new_hash = None
        if self.passwords.needs_rehash(user.password_hash):
            new_hash = await self.passwords.hash(password)
        now = self.clock()
        refresh_token = new_refresh_token()
        session = start_family(user.id, refresh_token, now, self.refresh_ttl)
        async with self.store.transaction() as transaction:
            if new_hash is not None:
                await transaction.set_password_hash(user.id, new_hash)
            await transaction.add_refresh_session(session)
            await transaction.forget_login_failures(email_key)
        if new_hash is not None:
            logger.info("rehashed the password of user %s with current parameters", user.id)
        LOGINS.labels("success").inc()
        return await self._tokens(session, refresh_token, now)

    async def _counted_attempt(self, email_key: str, email: str) -> User | None:
        """The account of the email, once the attempt is counted; LoginThrottled instead when
        the email had too many failed logins lately."""
        now = self.clock()
        async with self.store.transaction() as transaction:
            before = await transaction.login_failures(email_key)
            throttled = self.login_throttle.refusal(before, now)
            if throttled is None:
                # Counted as failed before the password is checked and forgotten on success,
                # so that guesses sent in parallel cannot exceed the limit while being checked.
                counted = self.login_throttle.counted(before, email_key, now)
                await transaction.save_login_failures(counted)
                user = await transaction.user_by_email(email)
        if throttled is not None:
            LOGINS.labels("throttled").inc()
            raise throttled
        if counted.failures == self.login_throttle.max_failures:
            logger.warning(
                "email key %s has had %d login attempts since %s; the next ones wait until %s",
                email_key[:12],
                counted.failures,
                counted.window_start.isoformat(),
                (counted.window_start + self.login_throttle.window).isoformat(),
            )
        return user

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        now = self.clock()
        successor_token = new_refresh_token()
        successor: RefreshSession | None = None
        async with self.store.transaction() as transaction:
            session = await transaction.refresh_session_by_token_hash(
                refresh_token_hash(refresh_token)
            )
            refusal = _refusal(session, now)
            if session is not None and refusal is None:
                successor = session.successor(successor_token, now, self.refresh_ttl)
                # The successor first: the old row's replaced_by references it.
                await transaction.add_refresh_session(successor)
                await transaction.save_refresh_session(session.revoked(now, successor.id))
            elif session is not None and refusal is not None and refusal.reason == "reused":
                ended = await transaction.revoke_family(session.family_id, now)
                logger.warning(
                    "refresh token of user %s used again after rotation; ended its session "
                    "family %s (%d live token(s) revoked)",
                    session.user_id,
                    session.family_id,
                    ended,
                )
        # Raised only now, so that the family's revocation above is committed.
        if refusal is not None:
            REFRESHES.labels(refusal.reason).inc()
            raise refusal
        assert successor is not None  # made whenever the token was not refused
        REFRESHES.labels("success").inc()
        return await self._tokens(successor, successor_token, now)

    async def logout(self, refresh_token: str) -> None:
        """Ends the session the token belongs to; unknown or ended sessions are no error."""
        now = self.clock()
        async with self.store.transaction() as transaction:
            session = await transaction.refresh_session_by_token_hash(
                refresh_token_hash(refresh_token)
            )
            if session is not None:
                await transaction.revoke_family(session.family_id, now)
        if session is not None:
            logger.info("user %s logged out", session.user_id)

    async def settings_for_owner(self, user_id: uuid.UUID) -> SettingsView:
        async with self.store.transaction() as transaction:
            stored = await transaction.settings_of(user_id)
        return self._view(stored)

    async def update_settings(self, user_id: uuid.UUID, changes: SettingsChanges) -> SettingsView:
        if not changes.changed:
            return await self.settings_for_owner(user_id)
        key = _checked_or_none(checked_api_key, changes, "openai_api_key")
        prompt = _checked_or_none(checked_system_prompt, changes, "system_prompt")
        model = _checked_or_none(checked_model, changes, "model")
        now = self.clock()
        async with self.store.transaction() as transaction:
            if await transaction.user_by_id(user_id, lock=True) is None:
                raise UnknownUser(user_id)
            current = await transaction.settings_of(user_id) or _blank_settings(user_id, now)
            updated = replace(current, updated_at=now)
            if "openai_api_key" in changes.changed:
                updated = replace(
                    updated,
                    openai_api_key_ciphertext=(
                        self.box.seal_text(key, api_key_context(user_id)) if key else None
                    ),
                    openai_api_key_last4=key[-4:] if key else None,
                )
            if "system_prompt" in changes.changed:
                updated = replace(updated, system_prompt=prompt)
            if "model" in changes.changed:
                updated = replace(updated, model=model)
            await transaction.save_settings(updated)
        logger.info("user %s changed settings: %s", user_id, ", ".join(sorted(changes.changed)))
        return self._view(updated)

    async def extraction_settings(self, user_id: uuid.UUID) -> ExtractionSettings:
        async with self.store.transaction() as transaction:
            if await transaction.user_by_id(user_id) is None:
                raise UnknownUser(user_id)
            stored = await transaction.settings_of(user_id)
        if stored is None:
            return ExtractionSettings(None, None, self.default_model)
        key = None
        if stored.openai_api_key_ciphertext is not None:
            key = self.box.open_text(stored.openai_api_key_ciphertext, api_key_context(user_id))
        return ExtractionSettings(key, stored.system_prompt, stored.model or self.default_model)

    async def public_keys(self) -> dict[str, Any]:
        """The JWKS: every signing key not retired, so tokens of a previous key still verify."""
        async with self.store.transaction() as transaction:
            live = await transaction.live_signing_keys()
        return {"keys": [key.public_jwk for key in live]}

    async def _tokens(
        self, session: RefreshSession, refresh_token: str, now: datetime
    ) -> IssuedTokens:
        issuer = TokenIssuer(await self.signing_key.get(), self.access_ttl)
        access = issuer.issue(session.user_id, now)
        return IssuedTokens(
            access_token=access.token,
            expires_in=access.expires_in,
            refresh_token=refresh_token,
            refresh_expires_in=max(0, int((session.expires_at - now).total_seconds())),
        )

    def _view(self, stored: StoredSettings | None) -> SettingsView:
        if stored is None:
            return SettingsView(False, None, None, self.default_model, None)
        masked = None
        if stored.openai_api_key_ciphertext is not None:
            try:
                key = self.box.open_text(
                    stored.openai_api_key_ciphertext, api_key_context(stored.user_id)
                )
                masked = mask_api_key(key)
            except SecretUnreadable:
                logger.error(
                    "the OpenAI key of user %s does not decrypt with the configured key",
                    stored.user_id,
                )
                masked = "..." + (stored.openai_api_key_last4 or "")
        return SettingsView(
            openai_api_key_set=stored.openai_api_key_ciphertext is not None,
            openai_api_key=masked,
            system_prompt=stored.system_prompt,
            model=stored.model or self.default_model,
            updated_at=stored.updated_at,
        )


def _refusal(session: RefreshSession | None, now: datetime) -> RefreshRefused | None:
    if session is None:
        return RefreshRefused("unknown", "This refresh token is not valid. Log in again.")
    if session.rotated:
        return RefreshRefused(
            "reused",
            "This refresh token was already used once, so the session was ended to protect"
            " your account. Log in again.",
        )
    if session.revoked_at is not None:
        return RefreshRefused("revoked", "This session has ended. Log in again.")
    if not session.usable_at(now):
        return RefreshRefused("expired", "This session has expired. Log in again.")
    return None


def _checked_or_none(
    check: Callable[[str], str], changes: SettingsChanges, field: str
) -> str | None:
    value: str | None = getattr(changes, field)
    if field not in changes.changed or value is None:
        return None
    return check(value)


def _blank_settings(user_id: uuid.UUID, now: datetime) -> StoredSettings:
    return StoredSettings(
        user_id=user_id,
        openai_api_key_ciphertext=None,
        openai_api_key_last4=None,
        system_prompt=None,
        model=None,
        updated_at=now,
    )
