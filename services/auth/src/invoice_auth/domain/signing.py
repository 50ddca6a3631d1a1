"""Ed25519 signing keys and the access tokens signed with them."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from invoice_platform.tokens import AUDIENCE, ISSUER

from invoice_auth.domain.encryption import SecretBox

ALGORITHM = "EdDSA"
# Instances re-read which key signs at most this long after they last read it.
SIGNING_KEY_CACHE = timedelta(seconds=30)
# A new key is published in the JWKS at once but signs only once it is this old: verifiers
# load an unknown key id again only after a 30 s cool-down, and would otherwise refuse the
# first tokens of a new key for up to that long.
KEY_PUBLICATION_DELAY = timedelta(seconds=60)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class StoredSigningKey:
    """A signing key as kept in the database: the private half sealed."""

    kid: str
    private_key_ciphertext: bytes
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    created_at: datetime

    @classmethod
    def generate(cls, now: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        return cls(kid=key_thumbprint(private_key), private_key=private_key, created_at=now)

    @property
    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.private_key, self.kid)

    def sealed(self, box: SecretBox) -> StoredSigningKey:
        raw = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return StoredSigningKey(
            kid=self.kid,
            private_key_ciphertext=box.seal(raw, _sealing_context(self.kid)),
            public_jwk=self.public_jwk,
            created_at=self.created_at,
        )

    @classmethod
    def unsealed(cls, stored: StoredSigningKey, box: SecretBox) -> SigningKey:
        raw = box.open(stored.private_key_ciphertext, _sealing_context(stored.kid))
        return cls(
            kid=stored.kid,
            private_key=Ed25519PrivateKey.from_private_bytes(raw),
            created_at=stored.created_at,
        )


def _sealing_context(kid: str) -> bytes:
    return f"signing-key:{kid}".encode()


def _public_x(private_key: Ed25519PrivateKey) -> str:
    return _b64url(private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def key_thumbprint(private_key: Ed25519PrivateKey) -> str:
    """The RFC 7638 thumbprint of the public key: a key id that anyone can recompute."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _public_x(private_key)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def public_jwk(private_key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _public_x(private_key),
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


@dataclass(frozen=True)
class AccessToken:
    token: str
    token_id: str
    expires_in: int


class TokenIssuer:
    """Signs access tokens with the current signing key."""

    def __init__(self, key: SigningKey, ttl: timedelta) -> None:
        self.key = key
        self.ttl = ttl

    def issue(self, user_id: uuid.UUID, now: datetime) -> AccessToken:
        token_id = uuid.uuid4().hex
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "typ": "access",
            "sub": str(user_id),
            "jti": token_id,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
        }
        token = jwt.encode(
            claims, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid}
        )
        return AccessToken(token=token, token_id=token_id, expires_in=int(self.ttl.total_seconds()))


def key_that_signs(live: Sequence[StoredSigningKey], now: datetime) -> StoredSigningKey:
    """Of the live keys (newest first, at least one), the newest that has been published for
    KEY_PUBLICATION_DELAY; the oldest live key while none has, as on the very first start."""
    published = now - KEY_PUBLICATION_DELAY
    return next((key for key in live if key.created_at <= published), live[-1])


def keys_to_retire(
    live: Sequence[StoredSigningKey], now: datetime, access_ttl: timedelta
) -> list[StoredSigningKey]:
    """The live keys (newest first) that no unexpired token can name any more.

    A key signs until every instance has moved to its successor, which happens at most
    KEY_PUBLICATION_DELAY + SIGNING_KEY_CACHE after the successor was made; its last tokens
    expire one access-token TTL later. A rotation passes a key made that instant, so the
    key that signed until then is always kept.
    """
    last_use_after_successor = KEY_PUBLICATION_DELAY + SIGNING_KEY_CACHE + access_ttl
    return [
        key
        for successor, key in pairwise(live)
        if successor.created_at + last_use_after_successor <= now
    ]
