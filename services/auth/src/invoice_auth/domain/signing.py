"""Ed25519 signing keys and the access tokens signed with them."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
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
