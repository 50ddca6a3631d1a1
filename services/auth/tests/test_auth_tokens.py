"""Access tokens: what auth signs, other services verify with the shared TokenVerifier."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from auth_support import AuthClient, new_email
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.domain.signing import SigningKey, TokenIssuer, key_thumbprint
from invoice_platform.tokens import InvalidToken, JwksKeySet, TokenVerifier


def verifier_for(*keys: SigningKey) -> TokenVerifier:
    key_set = JwksKeySet("http://auth.invalid/.well-known/jwks.json")
    key_set.load({"keys": [key.public_jwk for key in keys]})
    return TokenVerifier(key_set)


async def test_an_issued_token_verifies_against_the_published_key() -> None:
    key = SigningKey.generate(datetime.now(UTC))
    user_id = uuid.uuid4()

    access = TokenIssuer(key, timedelta(minutes=15)).issue(user_id, datetime.now(UTC))
    principal = await verifier_for(key).verify(access.token)

    assert principal.user_id == user_id
    assert principal.token_id == access.token_id
    assert access.expires_in == 900


def test_a_token_carries_exactly_the_agreed_claims_and_names_its_key() -> None:
    key = SigningKey.generate(datetime.now(UTC))
    now = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
    user_id = uuid.uuid4()

    access = TokenIssuer(key, timedelta(seconds=900)).issue(user_id, now)

    header = jwt.get_unverified_header(access.token)
    claims = jwt.decode(access.token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA"
    assert header["kid"] == key.kid
    assert claims == {
        "iss": "invoice-backend-auth",
        "aud": "invoice-backend",
        "typ": "access",
        "sub": str(user_id),
        "jti": access.token_id,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 900,
    }


async def test_an_expired_token_is_refused() -> None:
    key = SigningKey.generate(datetime.now(UTC))
    issued_at = datetime.now(UTC) - timedelta(hours=1)

    access = TokenIssuer(key, timedelta(minutes=15)).issue(uuid.uuid4(), issued_at)

    with pytest.raises(InvalidToken, match="expired"):
        await verifier_for(key).verify(access.token)


async def test_a_token_signed_by_another_key_with_the_same_kid_is_refused() -> None:
    published = SigningKey.generate(datetime.now(UTC))
    impostor = SigningKey(
        published.kid, SigningKey.generate(datetime.now(UTC)).private_key, published.created_at
    )

    access = TokenIssuer(impostor, timedelta(minutes=15)).issue(uuid.uuid4(), datetime.now(UTC))

    with pytest.raises(InvalidToken):
        await verifier_for(published).verify(access.token)


def test_the_published_key_is_an_ed25519_jwk_named_by_its_thumbprint() -> None:
    key = SigningKey.generate(datetime.now(UTC))

    jwk = key.public_jwk

    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    assert jwk["kid"] == key.kid == key_thumbprint(key.private_key)
    assert "d" not in jwk


def test_a_sealed_signing_key_opens_to_the_same_key_and_hides_the_private_half() -> None:
    box = SecretBox(b"k" * 32)
    key = SigningKey.generate(datetime.now(UTC))

    stored = key.sealed(box)
    reopened = SigningKey.unsealed(stored, box)

    assert reopened.kid == key.kid
    assert reopened.public_jwk == key.public_jwk
    assert stored.public_jwk == key.public_jwk
    assert "d" not in stored.public_jwk


async def test_the_jwks_endpoint_verifies_tokens_that_auth_issued(auth: AuthClient) -> None:
    user, tokens = await auth.signed_up(new_email())

    response = await auth.http.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    key_set = JwksKeySet("http://auth.invalid/.well-known/jwks.json")
    key_set.load(response.json())
    principal = await TokenVerifier(key_set).verify(tokens["access_token"])
    assert str(principal.user_id) == user["id"]
