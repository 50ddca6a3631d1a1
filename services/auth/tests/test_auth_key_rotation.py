"""Signing-key rotation: a new key signs, the previous one verifies until its tokens expire."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from auth_fakes import InMemoryAuthStore, SettableClock
from auth_support import ENCRYPTION_KEY, AuthClient, auth_settings, new_email, running
from invoice_auth.adapters.postgres import PostgresAuthStore
from invoice_auth.adapters.store import AuthStore
from invoice_auth.bootstrap import create_app, start
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.domain.signing import SigningKey, keys_to_retire
from invoice_auth.service import KeyRotation, rotate_signing_key
from invoice_auth.settings import decode_encryption_key
from invoice_platform.tokens import InvalidToken, JwksKeySet, TokenVerifier

ACCESS_TTL = timedelta(seconds=900)
# Past the publication delay (60 s) and the instances' cache (30 s).
NEW_KEY_SIGNS_AFTER = timedelta(seconds=91)
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class Rotating:
    auth: AuthClient
    rotate: Callable[[], Awaitable[KeyRotation]]

    async def published_kids(self) -> set[str]:
        return {key["kid"] for key in (await self.jwks())["keys"]}

    async def jwks(self) -> dict[str, Any]:
        response = await self.auth.http.get("/.well-known/jwks.json")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def verifier(self) -> TokenVerifier:
        key_set = JwksKeySet("http://auth.invalid/.well-known/jwks.json")
        key_set.load(await self.jwks())
        return TokenVerifier(key_set)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.infra)])
async def rotating(request: pytest.FixtureRequest, clock: SettableClock) -> AsyncIterator[Rotating]:
    """A running auth app and a rotation run beside it, as the command runs beside the
    service: on PostgreSQL through a store of its own."""
    box = SecretBox(decode_encryption_key(ENCRYPTION_KEY))
    rotation_store: AuthStore
    if request.param == "memory":
        rotation_store = InMemoryAuthStore()
        app = create_app(auth_settings(), store_factory=lambda _: rotation_store, clock=clock)
    else:
        url = await request.getfixturevalue("fresh_database")()
        app = create_app(auth_settings(database_url=url), clock=clock)
        rotation_store = PostgresAuthStore.from_url(url, pool_size=1)

    async def rotate() -> KeyRotation:
        # Keys are ordered by when they were made, which the settable clock alone never moves.
        clock.advance(seconds=1)
        return await rotate_signing_key(rotation_store, box, clock(), ACCESS_TTL)

    try:
        async with running(app) as http:
            yield Rotating(AuthClient(http, clock), rotate)
    finally:
        await rotation_store.close()


def kid_of(token: str) -> str:
    kid: str = jwt.get_unverified_header(token)["kid"]
    return kid


async def test_after_rotation_old_tokens_verify_and_new_tokens_use_the_new_key(
    rotating: Rotating,
) -> None:
    user, before = await rotating.auth.signed_up(new_email("rotation"))
    old_kid = kid_of(before["access_token"])

    rotation = await rotating.rotate()

    assert rotation.retired_kids == []
    assert await rotating.published_kids() == {old_kid, rotation.new_kid}
    principal = await (await rotating.verifier()).verify(before["access_token"])
    assert str(principal.user_id) == user["id"]
    # Published at once, but signing only once verifiers can have loaded it.
    assert kid_of((await rotating.auth.login(user["email"]))["access_token"]) == old_kid
    rotating.auth.clock.advance(seconds=NEW_KEY_SIGNS_AFTER.total_seconds())
    after = await rotating.auth.login(user["email"])
    assert kid_of(after["access_token"]) == rotation.new_kid
    refreshed = await rotating.auth.http.post(
        "/auth/refresh", json={"refresh_token": after["refresh_token"]}
    )
    assert kid_of(refreshed.json()["access_token"]) == rotation.new_kid


async def test_a_later_rotation_retires_keys_whose_tokens_have_all_expired(
    rotating: Rotating,
) -> None:
    _, first = await rotating.auth.signed_up(new_email("retired"))
    first_kid = kid_of(first["access_token"])
    second = await rotating.rotate()
    rotating.auth.clock.advance(seconds=(ACCESS_TTL + NEW_KEY_SIGNS_AFTER).total_seconds())

    third = await rotating.rotate()

    assert third.retired_kids == [first_kid]
    assert await rotating.published_kids() == {second.new_kid, third.new_kid}
    with pytest.raises(InvalidToken, match="unknown key"):
        await (await rotating.verifier()).verify(first["access_token"])


def test_only_keys_whose_successor_outlived_every_token_they_could_sign_are_retired() -> None:
    box = SecretBox(b"r" * 32)
    oldest, older, newer = (
        SigningKey.generate(T0 + timedelta(hours=hours)).sealed(box) for hours in (0, 1, 2)
    )
    live = [newer, older, oldest]

    assert keys_to_retire(live, T0 + timedelta(hours=1, seconds=900 + 89), ACCESS_TTL) == []
    assert keys_to_retire(live, T0 + timedelta(hours=1, seconds=900 + 90), ACCESS_TTL) == [oldest]
    assert keys_to_retire(live, T0 + timedelta(hours=5), ACCESS_TTL) == [older, oldest]


def test_the_console_script_offers_the_rotation() -> None:
    usage = subprocess.run(
        ["invoice-auth", "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout

    assert "rotate-signing-key" in usage


@pytest.mark.infra
async def test_the_command_rotates_the_keys_of_a_running_database(
    fresh_database: Callable[[], Awaitable[str]],
) -> None:
    url = await fresh_database()
    store = PostgresAuthStore.from_url(url, pool_size=1)
    try:
        runtime = await start(auth_settings(database_url=url), store)
        first_kid = (await runtime.service.signing_key.get()).kid
        environment = {
            **os.environ,
            "APP_ENV": "test",
            "AUTH_DATABASE_URL": url,
            "AUTH_SETTINGS_ENCRYPTION_KEY": ENCRYPTION_KEY,
        }

        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "invoice_auth", "rotate-signing-key"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )

        assert done.returncode == 0, done.stderr
        new_kid = done.stdout.split("new signing key: ", 1)[1].split()[0]
        assert new_kid != first_kid
        published = {key["kid"] for key in (await runtime.service.public_keys())["keys"]}
        assert published == {first_kid, new_kid}
    finally:
        await store.close()
