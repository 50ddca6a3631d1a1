"""Access tokens signed the way auth signs them, for tests and local runs without auth."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from invoice_platform.tokens import AUDIENCE, ISSUER, JwksKeySet


class AccessTokenIssuer:
    """An Ed25519 signing key made for the run, its public half as a JWKS, and tokens it signs."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        self.private_key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def key_set(self) -> JwksKeySet:
        # Nothing listens at that address: the keys are loaded up front, so no fetch is made.
        keys = JwksKeySet("http://127.0.0.1:9/.well-known/jwks.json")
        keys.load(self.jwks())
        return keys

    def token(self, user_id: uuid.UUID, *, expires_in: int = 300, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "typ": "access",
            "sub": str(user_id),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(payload, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, user_id: uuid.UUID, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id)}", **extra}
