"""Checking access tokens locally, against the signing keys auth publishes as a JWKS.

No service calls auth per request: the key set is fetched once, cached, and fetched again
only when a token names a key id not seen yet (key rotation), at most once per cool-down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from fastapi import Request

from invoice_platform.problems import Problem

logger = logging.getLogger(__name__)

ISSUER = "invoice-backend-auth"
AUDIENCE = "invoice-backend"
ALGORITHMS = ["EdDSA"]


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    token_id: str


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not signed by a key we trust."""


class KeySetUnavailable(Exception):
    """The key set could not be fetched from auth."""


class JwksKeySet:
    """A cached JWKS, fetched over HTTP from auth."""

    def __init__(self, jwks_url: str, *, refetch_cooldown: float = 30.0, timeout: float = 5.0):
        self.jwks_url = jwks_url
        self.refetch_cooldown = refetch_cooldown
        self.timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def load(self, jwks: dict[str, Any]) -> None:
        keys: dict[str, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []):
            kid = entry.get("kid")
            if kid:
                keys[kid] = jwt.PyJWK(entry)
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                self.load(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise KeySetUnavailable(
                f"could not fetch signing keys from {self.jwks_url}: {exc}"
            ) from exc
        logger.info("loaded %d signing key(s) from %s", len(self._keys), self.jwks_url)

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            if not self._keys or time.monotonic() - self._fetched_at > self.refetch_cooldown:
                await self._fetch()
        return self._keys.get(kid)

    async def ready(self) -> None:
        if not self._keys:
            async with self._lock:
                if not self._keys:
                    await self._fetch()


class TokenVerifier:
    def __init__(self, keys: JwksKeySet, *, leeway: float = 5.0) -> None:
        self.keys = keys
        self.leeway = leeway

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("the token is malformed") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
            raise InvalidToken("the token does not name a known signing key")
        key = await self.keys.key(kid)
        if key is None:
            raise InvalidToken("the token is signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("the token is not valid") from exc
        if claims.get("typ") != "access":
            raise InvalidToken("this is not an access token")
        try:
            user_id = uuid.UUID(claims["sub"])
        except ValueError as exc:
            raise InvalidToken("the token names no valid user") from exc
        return Principal(user_id=user_id, token_id=str(claims["jti"]))


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthenticated(detail: str) -> Problem:
    return Problem(
        401, "unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="invoices"'}
    )


async def authenticate(request: Request, verifier: TokenVerifier) -> Principal:
    """The principal behind the request's bearer token, or a 401 problem."""
    token = bearer_token(request)
    if token is None:
        raise unauthenticated("Log in and send the access token as 'Authorization: Bearer ...'.")
    try:
        return await verifier.verify(token)
    except InvalidToken as exc:
        raise unauthenticated(f"Your access token was refused: {exc}. Log in again.") from exc
    except KeySetUnavailable as exc:
        logger.error("cannot check tokens: %s", exc)
        raise Problem(
            503, "auth-unavailable", "Tokens cannot be checked right now; try again shortly."
        ) from exc
