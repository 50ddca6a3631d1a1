"""The OpenAI key at rest: sealed per user, only ever shown masked."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from auth_fakes import SettableClock
from auth_support import AuthClient, auth_settings, new_email, running
from invoice_auth.bootstrap import create_app
from invoice_auth.domain.encryption import SecretBox, SecretUnreadable
from invoice_auth.domain.user_settings import api_key_context, mask_api_key
from sqlalchemy.ext.asyncio import create_async_engine

OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789wxyz"


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789wxyz", "sk-...wxyz"),
        ("sk-0123456789abwxyz", "sk-...wxyz"),
        ("0123456789abcdef", "012...cdef"),
        ("0123456789abcde", "...bcde"),
        ("12345678", "...5678"),
    ],
)
def test_a_key_is_masked_to_its_last_four_and_for_long_keys_its_first_three(
    key: str, masked: str
) -> None:
    assert mask_api_key(key) == masked


def test_a_sealed_key_opens_for_its_owner_and_does_not_contain_the_key() -> None:
    box = SecretBox(os.urandom(32))
    owner = uuid.uuid4()

    sealed = box.seal_text(OPENAI_KEY, api_key_context(owner))

    assert OPENAI_KEY.encode() not in sealed
    assert b"wxyz" not in sealed
    assert box.open_text(sealed, api_key_context(owner)) == OPENAI_KEY


def test_sealing_the_same_key_twice_gives_different_ciphertexts() -> None:
    box = SecretBox(os.urandom(32))
    context = api_key_context(uuid.uuid4())

    assert box.seal_text(OPENAI_KEY, context) != box.seal_text(OPENAI_KEY, context)


def test_a_sealed_key_does_not_open_for_another_user() -> None:
    box = SecretBox(os.urandom(32))
    sealed = box.seal_text(OPENAI_KEY, api_key_context(uuid.uuid4()))

    with pytest.raises(SecretUnreadable):
        box.open_text(sealed, api_key_context(uuid.uuid4()))


def test_a_sealed_key_does_not_open_under_another_encryption_key() -> None:
    owner = uuid.uuid4()
    sealed = SecretBox(os.urandom(32)).seal_text(OPENAI_KEY, api_key_context(owner))

    with pytest.raises(SecretUnreadable):
        SecretBox(os.urandom(32)).open_text(sealed, api_key_context(owner))


def test_a_tampered_ciphertext_does_not_open() -> None:
    box = SecretBox(os.urandom(32))
    owner = uuid.uuid4()
    sealed = bytearray(box.seal_text(OPENAI_KEY, api_key_context(owner)))
    sealed[-1] ^= 1

    with pytest.raises(SecretUnreadable):
        box.open_text(bytes(sealed), api_key_context(owner))


@pytest.mark.infra
async def test_the_database_holds_no_key_token_or_private_key_in_clear(
    fresh_database: Callable[[], Awaitable[str]], clock: SettableClock
) -> None:
    url = await fresh_database()
    async with running(create_app(auth_settings(database_url=url))) as http:
        auth = AuthClient(http, clock)
        _, tokens = await auth.signed_up(new_email())
        await http.put(
            "/settings",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            json={"openai_api_key": OPENAI_KEY},
        )

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            settings = (await connection.execute(sa.text("select * from user_settings"))).one()
            session = (await connection.execute(sa.text("select * from refresh_sessions"))).one()
            key = (await connection.execute(sa.text("select * from signing_keys"))).one()
    finally:
        await engine.dispose()
    assert settings.openai_api_key_last4 == "wxyz"
    assert OPENAI_KEY.encode() not in bytes(settings.openai_api_key_ciphertext)
    assert bytes(session.token_hash) == hashlib.sha256(tokens["refresh_token"].encode()).digest()
    assert "d" not in key.public_jwk
    # nonce + sealed 32-byte Ed25519 seed + tag: only the sealed form of the private key.
    assert len(bytes(key.private_key_ciphertext)) == 12 + 32 + 16
