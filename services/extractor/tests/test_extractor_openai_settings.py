"""The OpenAI retry budget and per-key limit: their defaults, variables, and wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from invoice_extractor.adapters.openai_provider import OpenAIProvider
from invoice_extractor.bootstrap import build_extractor
from invoice_extractor.settings import ExtractorSettings
from invoice_platform.storage import FilesystemObjectStore


def test_the_budget_stays_well_inside_the_ack_wait_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("EXTRACTOR_OPENAI_RETRY_BUDGET_SECONDS", "EXTRACTOR_OPENAI_MAX_IN_FLIGHT_PER_KEY"):
        monkeypatch.delenv(name, raising=False)

    settings = ExtractorSettings()

    assert settings.openai_retry_budget_seconds == 20
    assert settings.openai_retry_budget_seconds < settings.ack_wait_seconds
    assert settings.openai_max_in_flight_per_key == 8


async def test_the_provider_is_built_with_the_configured_budget_and_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXTRACTOR_OPENAI_RETRY_BUDGET_SECONDS", "7.5")
    monkeypatch.setenv("EXTRACTOR_OPENAI_MAX_IN_FLIGHT_PER_KEY", "3")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")

    extractor = await build_extractor(
        ExtractorSettings(), object_store=FilesystemObjectStore(tmp_path)
    )
    try:
        provider = extractor.handler.providers["openai"]
        assert isinstance(provider, OpenAIProvider)
        assert provider.retry.budget_seconds == 7.5
        assert provider.slots.per_key == 3
        async with provider.clients.lease("sk-test-wiring") as client:
            assert client.max_retries == 0
            assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    finally:
        await extractor.openai_clients.close()
        await extractor.http.aclose()
        extractor.offline.close()
