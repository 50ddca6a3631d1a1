"""Per-user settings over HTTP, and the internal lookup the extractor uses."""

from __future__ import annotations

import uuid
from typing import Any

from auth_support import SERVICE_TOKEN, AuthClient, new_email

OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789wxyz"


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def service_auth(token: str = SERVICE_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_new_user_has_the_default_settings(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())

    response = await auth.http.get("/settings", headers=bearer(tokens))

    assert response.status_code == 200
    assert response.json() == {
        "openai_api_key_set": False,
        "openai_api_key": None,
        "system_prompt": None,
        "model": "gpt-4o-mini",
        "updated_at": None,
    }


async def test_an_empty_update_changes_nothing(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())

    response = await auth.http.put("/settings", headers=bearer(tokens), json={})

    assert response.status_code == 200
    assert response.json()["updated_at"] is None
    assert response.json()["model"] == "gpt-4o-mini"


async def test_the_openai_key_is_only_ever_shown_masked(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())

    put = await auth.http.put(
        "/settings", headers=bearer(tokens), json={"openai_api_key": OPENAI_KEY}
    )
    get = await auth.http.get("/settings", headers=bearer(tokens))

    for response in (put, get):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.json()["openai_api_key_set"] is True
        assert response.json()["openai_api_key"] == "sk-...wxyz"
        assert OPENAI_KEY not in response.text
        assert response.json()["updated_at"]


async def test_a_partial_update_keeps_the_fields_it_leaves_out(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    await auth.http.put(
        "/settings",
        headers=bearer(tokens),
        json={"openai_api_key": OPENAI_KEY, "system_prompt": "Be terse.", "model": "gpt-4.1"},
    )

    response = await auth.http.put("/settings", headers=bearer(tokens), json={"model": "o4-mini"})

    assert response.json()["openai_api_key"] == "sk-...wxyz"
    assert response.json()["system_prompt"] == "Be terse."
    assert response.json()["model"] == "o4-mini"


async def test_null_resets_a_field_to_its_default(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    await auth.http.put(
        "/settings",
        headers=bearer(tokens),
        json={"openai_api_key": OPENAI_KEY, "system_prompt": "Be terse.", "model": "gpt-4.1"},
    )

    response = await auth.http.put(
        "/settings",
        headers=bearer(tokens),
        json={"openai_api_key": None, "system_prompt": None, "model": None},
    )

    body = response.json()
    assert (body["openai_api_key_set"], body["openai_api_key"]) == (False, None)
    assert (body["system_prompt"], body["model"]) == (None, "gpt-4o-mini")


async def test_invalid_settings_are_refused_with_the_field_named(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    cases = [
        ({"openai_api_key": "short"}, "openai_api_key"),
        ({"openai_api_key": "sk-has a space-1234"}, "openai_api_key"),
        ({"openai_api_key": "sk-ünïcode-1234"}, "openai_api_key"),
        ({"system_prompt": "x" * 20_001}, "system_prompt"),
        ({"model": "gpt 4"}, "model"),
        ({"model": "m" * 101}, "model"),
    ]
    for body, field in cases:
        response = await auth.http.put("/settings", headers=bearer(tokens), json=body)

        assert response.status_code == 422, body
        assert response.json()["type"].endswith(":invalid-settings")
        assert response.json()["field"] == field
    unknown_field = await auth.http.put(
        "/settings", headers=bearer(tokens), json={"systemPrompt": "Be terse."}
    )
    assert unknown_field.status_code == 422
    after = await auth.http.get("/settings", headers=bearer(tokens))
    assert after.json()["updated_at"] is None


async def test_the_longest_system_prompt_is_accepted(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    prompt = "é" * 20_000

    response = await auth.http.put(
        "/settings", headers=bearer(tokens), json={"system_prompt": prompt}
    )

    assert response.status_code == 200
    assert response.json()["system_prompt"] == prompt


async def test_a_user_never_sees_or_changes_another_users_settings(auth: AuthClient) -> None:
    _, alice = await auth.signed_up(new_email("alice"))
    _, bob = await auth.signed_up(new_email("bob"))
    await auth.http.put(
        "/settings", headers=bearer(alice), json={"openai_api_key": OPENAI_KEY, "model": "gpt-4.1"}
    )

    bobs_view = await auth.http.get("/settings", headers=bearer(bob))
    await auth.http.put(
        "/settings", headers=bearer(bob), json={"openai_api_key": "sk-bob-key-00000000-9999"}
    )
    alices_view = await auth.http.get("/settings", headers=bearer(alice))

    assert bobs_view.json()["openai_api_key_set"] is False
    assert bobs_view.json()["model"] == "gpt-4o-mini"
    assert alices_view.json()["openai_api_key"] == "sk-...wxyz"
    assert alices_view.json()["model"] == "gpt-4.1"


async def test_settings_need_a_valid_access_token(auth: AuthClient) -> None:
    _, tokens = await auth.signed_up(new_email())
    header, claims, signature = tokens["access_token"].split(".")
    forged = ".".join([header, claims, ("B" if signature[0] == "A" else "A") + signature[1:]])

    missing = await auth.http.get("/settings")
    garbage = await auth.http.get("/settings", headers={"Authorization": "Bearer not.a.token"})
    tampered = await auth.http.get("/settings", headers={"Authorization": f"Bearer {forged}"})
    refresh_instead = await auth.http.put(
        "/settings",
        headers={"Authorization": f"Bearer {tokens['refresh_token']}"},
        json={"model": "gpt-4.1"},
    )

    for response in (missing, garbage, tampered, refresh_instead):
        assert response.status_code == 401
        assert response.json()["type"].endswith(":unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_internal_lookup_returns_the_full_key_to_services(auth: AuthClient) -> None:
    user, tokens = await auth.signed_up(new_email())
    await auth.http.put(
        "/settings",
        headers=bearer(tokens),
        json={"openai_api_key": OPENAI_KEY, "system_prompt": "Be terse."},
    )

    response = await auth.http.get(
        f"/internal/users/{user['id']}/extraction-settings", headers=service_auth()
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "openai_api_key": OPENAI_KEY,
        "system_prompt": "Be terse.",
        "model": "gpt-4o-mini",
    }


async def test_the_internal_lookup_gives_defaults_to_a_user_without_settings(
    auth: AuthClient,
) -> None:
    user = await auth.register(new_email())

    response = await auth.http.get(
        f"/internal/users/{user['id']}/extraction-settings", headers=service_auth()
    )

    assert response.json() == {
        "openai_api_key": None,
        "system_prompt": None,
        "model": "gpt-4o-mini",
    }


async def test_the_internal_lookup_requires_the_service_token(auth: AuthClient) -> None:
    user, tokens = await auth.signed_up(new_email())
    path = f"/internal/users/{user['id']}/extraction-settings"

    missing = await auth.http.get(path)
    wrong = await auth.http.get(path, headers=service_auth(SERVICE_TOKEN + "x"))
    users_own_token = await auth.http.get(path, headers=bearer(tokens))

    for response in (missing, wrong, users_own_token):
        assert response.status_code == 401
        assert "INTERNAL_SERVICE_TOKEN" in response.json()["detail"]


async def test_the_internal_lookup_of_an_unknown_user_is_not_found(auth: AuthClient) -> None:
    response = await auth.http.get(
        f"/internal/users/{uuid.uuid4()}/extraction-settings", headers=service_auth()
    )

    assert response.status_code == 404
    assert response.json()["type"].endswith(":user-not-found")
