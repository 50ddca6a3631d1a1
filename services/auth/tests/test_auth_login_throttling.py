"""Login throttling: failed logins per email, counted in the store that every instance shares."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import Parameters
from auth_fakes import InMemoryAuthStore, SettableClock
from auth_support import PASSWORD, AuthClient, new_email
from invoice_auth.domain.accounts import InvalidCredentials
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.domain.passwords import FAST_PARAMETERS, PasswordHashing
from invoice_auth.domain.signing import SigningKey
from invoice_auth.domain.throttling import LoginFailures, LoginThrottle, LoginThrottled, login_key
from invoice_auth.service import AuthService, CurrentSigningKey
from prometheus_client import REGISTRY

WRONG = "not the password at all"
WINDOW = timedelta(seconds=900)
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


class CountingHashing(PasswordHashing):
    """Real hashing that counts the password checks it spent."""

    def __init__(self, parameters: Parameters) -> None:
        super().__init__(parameters)
        self.checks = 0

    def _verify(self, password_hash: str, password: str) -> bool:
        self.checks += 1
        return super()._verify(password_hash, password)


def service_on(store: InMemoryAuthStore, clock: SettableClock) -> AuthService:
    box = SecretBox(b"t" * 32)
    key = SigningKey.generate(clock()).sealed(box)
    store.state.signing_keys[key.kid] = key
    return AuthService(
        store,
        CountingHashing(FAST_PARAMETERS),
        CurrentSigningKey(store, box, clock),
        box,
        access_ttl=timedelta(minutes=15),
        refresh_ttl=timedelta(days=30),
        default_model="gpt-4o-mini",
        login_throttle=LoginThrottle(max_failures=10, window=WINDOW),
        clock=clock,
    )


async def fail(service: AuthService, email: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            await service.login(email, WRONG)


def test_the_window_starts_at_the_first_failure_and_ends_a_window_later() -> None:
    throttle = LoginThrottle(max_failures=2, window=WINDOW)
    first = throttle.counted(None, "k", T0)
    second = throttle.counted(first, "k", T0 + timedelta(minutes=10))

    assert second == LoginFailures("k", T0, 2)
    refusal = throttle.refusal(second, T0 + timedelta(minutes=10))
    assert refusal is not None and refusal.retry_at == T0 + WINDOW
    assert refusal.retry_after_seconds == 300
    assert throttle.refusal(second, T0 + WINDOW) is None
    assert throttle.counted(second, "k", T0 + WINDOW) == LoginFailures("k", T0 + WINDOW, 1)


def test_the_key_of_an_email_is_the_sha256_of_its_lower_cased_form() -> None:
    expected = hashlib.sha256(b"ada@example.com").hexdigest()

    assert login_key(" Ada@Example.COM ") == login_key("ada@example.com") == expected


async def test_the_attempt_after_the_limit_is_refused_without_checking_the_password() -> None:
    store, clock = InMemoryAuthStore(), SettableClock(T0)
    service = service_on(store, clock)
    await service.register("limit@example.com", PASSWORD)
    await fail(service, "limit@example.com", 10)
    checks = service.passwords.checks  # type: ignore[attr-defined]

    clock.advance(minutes=5)
    with pytest.raises(LoginThrottled) as refused:
        await service.login("LIMIT@example.com", PASSWORD)

    assert refused.value.retry_at == T0 + WINDOW
    assert refused.value.retry_after_seconds == 600
    assert service.passwords.checks == checks  # type: ignore[attr-defined]


async def test_the_right_password_logs_in_once_the_window_has_passed() -> None:
    store, clock = InMemoryAuthStore(), SettableClock(T0)
    service = service_on(store, clock)
    await service.register("patient@example.com", PASSWORD)
    await fail(service, "patient@example.com", 10)

    clock.advance(seconds=WINDOW.total_seconds())
    tokens = await service.login("patient@example.com", PASSWORD)

    assert tokens.access_token


async def test_a_success_starts_the_count_again() -> None:
    store, clock = InMemoryAuthStore(), SettableClock(T0)
    service = service_on(store, clock)
    await service.register("forgetful@example.com", PASSWORD)
    await fail(service, "forgetful@example.com", 9)

    await service.login("forgetful@example.com", PASSWORD)

    assert store.state.login_failures == {}
    await fail(service, "forgetful@example.com", 9)
    assert (await service.login("forgetful@example.com", PASSWORD)).access_token


async def test_an_unknown_email_is_throttled_the_same_way_and_stored_only_as_a_hash() -> None:
    store, clock = InMemoryAuthStore(), SettableClock(T0)
    service = service_on(store, clock)
    await fail(service, "nobody@example.com", 10)

    with pytest.raises(LoginThrottled):
        await service.login("nobody@example.com", PASSWORD)

    assert list(store.state.login_failures) == [login_key("nobody@example.com")]


async def test_over_http_the_right_password_waits_out_the_window(auth: AuthClient) -> None:
    email = new_email("guessed")
    await auth.register(email)
    throttled_before = REGISTRY.get_sample_value("auth_logins_total", {"outcome": "throttled"})
    for _ in range(10):
        wrong = await auth.http.post("/auth/login", json={"email": email, "password": WRONG})
        assert wrong.status_code == 401

    refused = await auth.http.post("/auth/login", json={"email": email, "password": PASSWORD})

    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 890 <= int(refused.headers["retry-after"]) <= 900
    problem = refused.json()
    assert problem["type"].endswith(":too-many-login-attempts")
    assert problem["retry_at"] in problem["detail"]
    throttled_after = REGISTRY.get_sample_value("auth_logins_total", {"outcome": "throttled"})
    assert throttled_after == (throttled_before or 0.0) + 1
    auth.clock.advance(seconds=901)
    assert (await auth.login(email))["access_token"]


async def test_over_http_an_unknown_email_gets_the_same_answers(auth: AuthClient) -> None:
    email = new_email("unregistered")
    answers = []
    for _ in range(11):
        response = await auth.http.post("/auth/login", json={"email": email, "password": WRONG})
        answers.append(response.status_code)

    assert answers == [401] * 10 + [429]


async def test_over_http_a_success_starts_the_count_again(auth: AuthClient) -> None:
    email = new_email("typo")
    await auth.register(email)
    for _ in range(2):
        for _ in range(9):
            wrong = await auth.http.post("/auth/login", json={"email": email, "password": WRONG})
            assert wrong.status_code == 401
        await auth.login(email)


async def test_guesses_sent_together_cannot_pass_the_limit(auth: AuthClient) -> None:
    email = new_email("parallel")
    await auth.register(email)

    async def guess() -> int:
        body = {"email": email, "password": WRONG}
        return (await auth.http.post("/auth/login", json=body)).status_code

    answers = await asyncio.gather(*(guess() for _ in range(15)))

    assert sorted(answers) == [401] * 10 + [429] * 5
