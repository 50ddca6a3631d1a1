"""Password hashing: Argon2id, constant work for unknown emails, rehash, off the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import timedelta

import pytest
from argon2 import Parameters, extract_parameters
from auth_fakes import InMemoryAuthStore, SettableClock
from invoice_auth.domain.accounts import InvalidCredentials
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.domain.passwords import FAST_PARAMETERS, PRODUCTION_PARAMETERS, PasswordHashing
from invoice_auth.domain.signing import SigningKey
from invoice_auth.service import AuthService, CurrentSigningKey

PASSWORD = "a long enough password"


class RecordingHashing(PasswordHashing):
    """Real hashing that also records every hash it verified a password against."""

    def __init__(self, parameters: Parameters) -> None:
        super().__init__(parameters)
        self.verified_against: list[str] = []

    def _verify(self, password_hash: str, password: str) -> bool:
        self.verified_against.append(password_hash)
        return super()._verify(password_hash, password)


def service_with(passwords: PasswordHashing, store: InMemoryAuthStore) -> AuthService:
    clock = SettableClock()
    box = SecretBox(b"s" * 32)
    if not store.state.signing_keys:
        key = SigningKey.generate(clock()).sealed(box)
        store.state.signing_keys[key.kid] = key
    return AuthService(
        store,
        passwords,
        CurrentSigningKey(store, box, clock),
        box,
        access_ttl=timedelta(minutes=15),
        refresh_ttl=timedelta(days=30),
        default_model="gpt-4o-mini",
        clock=clock,
    )


async def test_a_hash_verifies_its_password_only() -> None:
    passwords = PasswordHashing(FAST_PARAMETERS)

    password_hash = await passwords.hash(PASSWORD)

    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    assert await passwords.verify(password_hash, PASSWORD)
    assert not await passwords.verify(password_hash, PASSWORD + "!")
    assert not await passwords.verify("not a hash", PASSWORD)


async def test_checking_nobody_spends_one_full_check_and_never_matches() -> None:
    passwords = RecordingHashing(FAST_PARAMETERS)

    matched = await passwords.verify_nobody(PASSWORD)

    assert matched is False
    assert len(passwords.verified_against) == 1
    assert extract_parameters(passwords.verified_against[0]) == FAST_PARAMETERS


async def test_login_with_an_unknown_email_still_checks_a_password_hash() -> None:
    passwords = RecordingHashing(FAST_PARAMETERS)
    service = service_with(passwords, InMemoryAuthStore())

    with pytest.raises(InvalidCredentials):
        await service.login(f"{uuid.uuid4().hex}@example.com", PASSWORD)

    assert len(passwords.verified_against) == 1


async def test_login_rehashes_a_password_stored_with_other_parameters() -> None:
    store = InMemoryAuthStore()
    stronger = dataclasses.replace(FAST_PARAMETERS, time_cost=2)
    user = await service_with(PasswordHashing(FAST_PARAMETERS), store).register(
        "rehash@example.com", PASSWORD
    )

    await service_with(PasswordHashing(stronger), store).login("rehash@example.com", PASSWORD)

    async with store.transaction() as transaction:
        stored = await transaction.user_by_id(user.id)
    assert stored is not None
    assert extract_parameters(stored.password_hash) == stronger
    assert stored.password_hash != user.password_hash


async def test_login_keeps_a_hash_made_with_the_current_parameters() -> None:
    store = InMemoryAuthStore()
    service = service_with(PasswordHashing(FAST_PARAMETERS), store)
    user = await service.register("same@example.com", PASSWORD)

    await service.login("same@example.com", PASSWORD)

    async with store.transaction() as transaction:
        stored = await transaction.user_by_id(user.id)
    assert stored is not None and stored.password_hash == user.password_hash


def test_production_parameters_are_argon2id_at_rfc_9106_strength() -> None:
    assert PRODUCTION_PARAMETERS.type.name == "ID"
    assert PRODUCTION_PARAMETERS.memory_cost >= 64 * 1024
    assert PRODUCTION_PARAMETERS.time_cost >= 3


async def test_hashing_lets_the_event_loop_run_other_work_meanwhile() -> None:
    passwords = PasswordHashing(PRODUCTION_PARAMETERS)
    other_work_ran = asyncio.Event()

    async def hash_and_look() -> bool:
        await passwords.hash(PASSWORD)
        return other_work_ran.is_set()

    async def other_work() -> None:
        other_work_ran.set()

    # The hashing task is scheduled first: had it hashed on the loop's thread, it would have
    # finished before the other task got its first turn.
    hashing = asyncio.create_task(hash_and_look())
    other = asyncio.create_task(other_work())
    saw_other_work = await hashing
    await other

    assert saw_other_work
