"""The client of auth's internal extraction-settings endpoint, over httpx.MockTransport."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from invoice_extractor.adapters.auth_settings import AuthSettingsClient
from invoice_extractor.domain.errors import ExtractionError
from pydantic import SecretStr

TOKEN = SecretStr("internal-token-for-tests")
KEY = "sk-proj-the-users-secret-9876"


def client_answering(handler) -> AuthSettingsClient:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AuthSettingsClient(http, "http://auth.internal:8081/", TOKEN)


async def test_the_settings_are_read_with_the_service_token() -> None:
    user_id = uuid.uuid4()
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"openai_api_key": KEY, "system_prompt": "Be exact.", "model": "gpt-4o"}
        )

    settings = await client_answering(answer).for_user(user_id)

    assert settings.openai_api_key == KEY
    assert settings.system_prompt == "Be exact."
    assert settings.model == "gpt-4o"
    [request] = seen
    assert str(request.url) == (
        f"http://auth.internal:8081/internal/users/{user_id}/extraction-settings"
    )
    assert request.headers["authorization"] == "Bearer internal-token-for-tests"


async def test_a_user_without_a_key_gets_settings_without_one() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"openai_api_key": None, "system_prompt": None, "model": None}
        )

    settings = await client_answering(answer).for_user(uuid.uuid4())

    assert settings.openai_api_key is None
    assert not settings.has_openai_key


async def test_an_unknown_user_fails_permanently() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"code": "not-found"})

    with pytest.raises(ExtractionError) as failure:
        await client_answering(answer).for_user(uuid.uuid4())

    assert failure.value.error_code == "account_not_found"
    assert not failure.value.transient


@pytest.mark.parametrize("status", [500, 502, 503, 401, 403])
async def test_an_unhealthy_or_refusing_auth_is_a_transient_failure(status: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status)

    with pytest.raises(ExtractionError) as failure:
        await client_answering(answer).for_user(uuid.uuid4())

    assert failure.value.error_code == "settings_unavailable"
    assert failure.value.transient


async def test_an_unreachable_auth_is_a_transient_failure() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ExtractionError) as failure:
        await client_answering(answer).for_user(uuid.uuid4())

    assert failure.value.transient


async def test_an_off_contract_answer_never_leaks_the_key(caplog: pytest.LogCaptureFixture) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"openai_api_key": KEY, "model": ["not", "a", "string"]})

    with caplog.at_level(logging.DEBUG), pytest.raises(ExtractionError) as failure:
        await client_answering(answer).for_user(uuid.uuid4())

    assert failure.value.transient
    assert failure.value.__cause__ is None
    assert KEY not in caplog.text
    assert KEY not in str(failure.value)
