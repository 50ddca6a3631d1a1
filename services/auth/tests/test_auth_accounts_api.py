"""Accounts and sessions over HTTP: register, login, refresh, logout."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from auth_support import PASSWORD, AuthClient, new_email


async def test_register_creates_an_account_under_the_lower_cased_email(auth: AuthClient) -> None:
    email = new_email("Mixed.Case")

    response = await auth.http.post(
        "/auth/register", json={"email": email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email.lower()
    assert uuid.UUID(body["id"])
    assert body["created_at"]
    assert set(body) == {"id", "email", "created_at"}


async def test_registering_a_taken_email_is_a_conflict_whatever_its_case(
    auth: AuthClient,
) -> None:
    email = new_email()
    await auth.register(email)

    response = await auth.http.post(
        "/auth/register", json={"email": email.upper(), "password": "another password"}
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":email-already-registered")
    assert "log in instead" in problem["detail"]


async def test_register_refuses_bad_emails_and_passwords_with_the_reason(
    auth: AuthClient,
) -> None:
    cases = [
        ({"email": "not-an-email", "password": PASSWORD}, "invalid-email"),
        ({"email": "a" * 250 + "@example.com", "password": PASSWORD}, "invalid-email"),
        ({"email": new_email(), "password": "short"}, "invalid-password"),
        ({"email": new_email(), "password": "x" * 257}, "invalid-password"),
    ]
    for body, code in cases:
        response = await auth.http.post("/auth/register", json=body)

        assert response.status_code == 422, body
        assert response.json()["type"].endswith(":" + code)
        assert response.json()["detail"]


async def test_login_returns_an_access_token_and_a_refresh_token(auth: AuthClient) -> None:
    email = new_email()
    await auth.register(email)

    response = await auth.http.post(
        "/auth/login", json={"email": "  " + email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_expires_in"] == 30 * 86_400
    assert tokens["access_token"].count(".") == 2
    assert len(tokens["refresh_token"]) >= 40


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    auth: AuthClient,
) -> None:
    email = new_email()
    await auth.register(email)

    wrong_password = await auth.http.post(
        "/auth/login", json={"email": email, "password": "not the password"}
    )
    unknown_email = await auth.http.post(
        "/auth/login", json={"email": new_email(), "password": PASSWORD}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    comparable = ("type", "title", "status", "detail")
    assert [wrong_password.json()[k] for k in comparable] == [
        unknown_email.json()[k] for k in comparable
    ]
    assert wrong_password.json()["type"].endswith(":invalid-credentials")


async def test_refresh_rotates_the_refresh_token(auth: AuthClient) -> None:
    _, first = await auth.signed_up(new_email())

    response = await auth.http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["token_type"] == "Bearer"
    again = await auth.http.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 200


async def test_a_rotated_refresh_token_used_again_ends_the_whole_session(
    auth: AuthClient,
) -> None:
    _, first = await auth.signed_up(new_email())
    rotated = await auth.http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    successor = rotated.json()["refresh_token"]

    replayed = await auth.http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert replayed.status_code == 401
    assert replayed.json()["type"].endswith(":invalid-refresh-token")
    assert replayed.json()["reason"] == "reused"
    # The legitimate holder's newer token dies with the family: whoever stole the old one
    # cannot have refreshed into a session that stays alive.
    after = await auth.http.post("/auth/refresh", json={"refresh_token": successor})
    assert after.status_code == 401
    assert after.json()["reason"] == "revoked"


async def test_two_refreshes_racing_with_one_token_cannot_both_succeed(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    body = {"refresh_token": tokens["refresh_token"]}

    first, second = await asyncio.gather(
        auth.http.post("/auth/refresh", json=body), auth.http.post("/auth/refresh", json=body)
    )

    assert sorted([first.status_code, second.status_code]) == [200, 401]
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert loser.json()["reason"] == "reused"


async def test_another_login_is_a_separate_session(auth: AuthClient) -> None:
    email = new_email()
    _, phone = await auth.signed_up(email)
    laptop = await auth.login(email)
    await auth.http.post("/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    await auth.http.post("/auth/refresh", json={"refresh_token": phone["refresh_token"]})

    response = await auth.http.post(
        "/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
    )

    assert response.status_code == 200


async def test_an_expired_refresh_token_is_refused(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    auth.clock.advance(days=30, seconds=1)

    response = await auth.http.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    assert response.status_code == 401
    assert response.json()["reason"] == "expired"


async def test_an_unknown_refresh_token_is_refused(auth: AuthClient) -> None:
    response = await auth.http.post("/auth/refresh", json={"refresh_token": "made-up"})

    assert response.status_code == 401
    assert response.json()["reason"] == "unknown"


async def test_logout_ends_the_session_and_may_be_repeated(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    body = {"refresh_token": tokens["refresh_token"]}

    first = await auth.http.post("/auth/logout", json=body)
    second = await auth.http.post("/auth/logout", json=body)
    unknown = await auth.http.post("/auth/logout", json={"refresh_token": "never-issued"})

    assert (first.status_code, second.status_code, unknown.status_code) == (204, 204, 204)
    assert first.content == b""
    refresh = await auth.http.post("/auth/refresh", json=body)
    assert refresh.status_code == 401
    assert refresh.json()["reason"] == "revoked"


async def test_logout_ends_the_session_from_any_of_its_tokens(auth: AuthClient) -> None:
    _, first = await auth.signed_up(new_email())
    rotated = await auth.http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    await auth.http.post("/auth/logout", json={"refresh_token": rotated.json()["refresh_token"]})

    after = await auth.http.post(
        "/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert after.status_code == 401


async def test_a_malformed_body_is_a_validation_problem(auth: AuthClient) -> None:
    response = await auth.http.post("/auth/login", json={"email": "a@example.com"})

    assert response.status_code == 422
    assert response.json()["type"].endswith(":validation-failed")
    assert response.json()["errors"][0]["location"] == ["body", "password"]


async def test_an_oversized_body_is_refused_before_it_is_read(auth: AuthClient) -> None:
    response = await auth.http.post(
        "/auth/login", json={"email": "a@example.com", "password": "x" * 200_000}
    )

    assert response.status_code == 413
    assert response.json()["type"].endswith(":payload-too-large")


async def test_an_oversized_body_without_a_declared_length_is_refused(auth: AuthClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(20):
            yield b"x" * 10_000
        yield b'"}'

    response = await auth.http.post(
        "/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["type"].endswith(":payload-too-large")


async def test_readiness_reports_the_database(auth: AuthClient) -> None:
    response = await auth.http.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}
