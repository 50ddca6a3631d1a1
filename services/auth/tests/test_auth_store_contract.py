"""One contract for the storage port, run against the in-memory fake and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from auth_fakes import InMemoryAuthStore
from invoice_auth.adapters.postgres import PostgresAuthStore
from invoice_auth.adapters.store import AuthStore
from invoice_auth.domain.accounts import EmailAlreadyRegistered, User
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.domain.sessions import RefreshSession, new_refresh_token, start_family
from invoice_auth.domain.signing import SigningKey
from invoice_auth.domain.throttling import LoginFailures
from invoice_auth.domain.user_settings import StoredSettings

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
TTL = timedelta(days=30)


class Failure(Exception):
    pass


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.infra)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AuthStore]:
    if request.param == "memory":
        yield InMemoryAuthStore()
        return
    url = await request.getfixturevalue("fresh_database")()
    postgres = PostgresAuthStore.from_url(url, pool_size=2)
    async with postgres.setup():
        pass
    try:
        yield postgres
    finally:
        await postgres.close()


def a_user(email: str | None = None) -> User:
    return User(
        id=uuid.uuid4(),
        email=email or f"{uuid.uuid4().hex[:10]}@example.com",
        password_hash="$argon2id$stand-in",
        created_at=NOW,
    )


async def stored_user(store: AuthStore) -> User:
    user = a_user()
    async with store.transaction() as transaction:
        await transaction.add_user(user)
    return user


async def test_a_user_is_found_by_email_and_by_id(store: AuthStore) -> None:
    user = await stored_user(store)

    async with store.transaction() as transaction:
        by_email = await transaction.user_by_email(user.email)
        by_id = await transaction.user_by_id(user.id, lock=True)
        missing = await transaction.user_by_email("nobody@example.com")

    assert by_email == by_id == user
    assert missing is None


async def test_an_email_belongs_to_one_user_only(store: AuthStore) -> None:
    first = await stored_user(store)

    with pytest.raises(EmailAlreadyRegistered):
        async with store.transaction() as transaction:
            await transaction.add_user(a_user(first.email))

    async with store.transaction() as transaction:
        assert await transaction.user_by_email(first.email) == first


async def test_a_failed_transaction_leaves_nothing_behind(store: AuthStore) -> None:
    user = a_user()

    with pytest.raises(Failure):
        async with store.transaction() as transaction:
            await transaction.add_user(user)
            raise Failure

    async with store.transaction() as transaction:
        assert await transaction.user_by_id(user.id) is None


async def test_a_password_hash_can_be_replaced(store: AuthStore) -> None:
    user = await stored_user(store)

    async with store.transaction() as transaction:
        await transaction.set_password_hash(user.id, "$argon2id$newer")

    async with store.transaction() as transaction:
        found = await transaction.user_by_id(user.id)
    assert found is not None and found.password_hash == "$argon2id$newer"


async def test_a_refresh_session_is_found_by_its_token_hash(store: AuthStore) -> None:
    user = await stored_user(store)
    session = start_family(user.id, new_refresh_token(), NOW, TTL)

    async with store.transaction() as transaction:
        await transaction.add_refresh_session(session)
    async with store.transaction() as transaction:
        found = await transaction.refresh_session_by_token_hash(session.token_hash)
        missing = await transaction.refresh_session_by_token_hash(b"\0" * 32)

    assert found == session
    assert missing is None


async def test_rotation_records_the_successor_on_the_revoked_session(store: AuthStore) -> None:
    user = await stored_user(store)
    first = start_family(user.id, new_refresh_token(), NOW, TTL)
    later = NOW + timedelta(minutes=5)
    second = first.successor(new_refresh_token(), later, TTL)
    async with store.transaction() as transaction:
        await transaction.add_refresh_session(first)

    async with store.transaction() as transaction:
        await transaction.add_refresh_session(second)
        await transaction.save_refresh_session(first.revoked(later, second.id))

    async with store.transaction() as transaction:
        old = await transaction.refresh_session_by_token_hash(first.token_hash)
        new = await transaction.refresh_session_by_token_hash(second.token_hash)
    assert old is not None and (old.revoked_at, old.replaced_by) == (later, second.id)
    assert new == second
    assert new.family_id == first.family_id


async def test_revoking_a_family_ends_its_live_sessions_only(store: AuthStore) -> None:
    user = await stored_user(store)
    ended = start_family(user.id, new_refresh_token(), NOW, TTL).revoked(NOW)
    live = ended.successor(new_refresh_token(), NOW, TTL)
    other_family = start_family(user.id, new_refresh_token(), NOW, TTL)
    async with store.transaction() as transaction:
        for session in (ended, live, other_family):
            await transaction.add_refresh_session(session)

    later = NOW + timedelta(hours=1)
    async with store.transaction() as transaction:
        count = await transaction.revoke_family(ended.family_id, later)

    assert count == 1
    async with store.transaction() as transaction:
        found: dict[str, RefreshSession | None] = {
            name: await transaction.refresh_session_by_token_hash(session.token_hash)
            for name, session in [("ended", ended), ("live", live), ("other", other_family)]
        }
    assert found["ended"] is not None and found["ended"].revoked_at == NOW
    assert found["live"] is not None and found["live"].revoked_at == later
    assert found["other"] is not None and found["other"].revoked_at is None


async def test_settings_are_stored_and_replaced_per_user(store: AuthStore) -> None:
    alice, bob = await stored_user(store), await stored_user(store)
    first = StoredSettings(alice.id, b"sealed", "wxyz", "Be terse.", "gpt-4.1", NOW)
    changed = StoredSettings(alice.id, None, None, None, "o4-mini", NOW + timedelta(minutes=1))

    async with store.transaction() as transaction:
        await transaction.save_settings(first)
    async with store.transaction() as transaction:
        assert await transaction.settings_of(alice.id) == first
        await transaction.save_settings(changed)
    async with store.transaction() as transaction:
        assert await transaction.settings_of(alice.id) == changed
        assert await transaction.settings_of(bob.id) is None


async def test_live_signing_keys_come_newest_first_without_retired_ones(store: AuthStore) -> None:
    box = SecretBox(b"b" * 32)
    older = SigningKey.generate(NOW).sealed(box)
    newer = SigningKey.generate(NOW + timedelta(days=1)).sealed(box)
    retired = replace(SigningKey.generate(NOW - timedelta(days=1)).sealed(box), retired_at=NOW)

    async with store.transaction() as transaction:
        for key in (older, newer, retired):
            await transaction.add_signing_key(key)
    async with store.transaction() as transaction:
        live = await transaction.live_signing_keys()

    assert [key.kid for key in live] == [newer.kid, older.kid]
    assert live[0] == newer


async def test_setup_may_run_any_number_of_times(store: AuthStore) -> None:
    user = await stored_user(store)

    for _ in range(2):
        async with store.setup() as transaction:
            assert await transaction.user_by_id(user.id) == user

    await store.ping()


async def test_login_failures_are_saved_replaced_and_forgotten_per_email_key(
    store: AuthStore,
) -> None:
    key, other = uuid.uuid4().hex, uuid.uuid4().hex

    async with store.transaction() as transaction:
        assert await transaction.login_failures(key) is None
        await transaction.save_login_failures(LoginFailures(key, NOW, 1))
        await transaction.save_login_failures(LoginFailures(other, NOW, 4))
    async with store.transaction() as transaction:
        await transaction.save_login_failures(LoginFailures(key, NOW, 2))
    async with store.transaction() as transaction:
        assert await transaction.login_failures(key) == LoginFailures(key, NOW, 2)
        await transaction.forget_login_failures(key)
    async with store.transaction() as transaction:
        assert await transaction.login_failures(key) is None
        assert await transaction.login_failures(other) == LoginFailures(other, NOW, 4)


async def test_a_retired_signing_key_is_no_longer_live(store: AuthStore) -> None:
    box = SecretBox(b"b" * 32)
    kept, retired = (SigningKey.generate(NOW).sealed(box) for _ in range(2))
    async with store.transaction() as transaction:
        await transaction.add_signing_key(kept)
        await transaction.add_signing_key(retired)

    async with store.transaction() as transaction:
        await transaction.retire_signing_key(retired.kid, NOW)
    async with store.transaction() as transaction:
        live = await transaction.live_signing_keys()

    assert [key.kid for key in live] == [kept.kid]
