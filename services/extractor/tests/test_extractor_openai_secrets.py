"""The user's OpenAI key stays out of every log line and every event, whatever OpenAI answers."""

from __future__ import annotations

import logging

import pytest
from extractor_clock import FakeClock
from extractor_documents import english_invoice
from extractor_fakes import FakeAppender, FakeDelivery, FakeDocuments, FakeSettings, uploaded_event
from invoice_devstack.fake_openai import FakeOpenAI
from invoice_extractor.adapters.offline_provider import OfflineProvider
from invoice_extractor.adapters.openai_provider import (
    OpenAIClients,
    OpenAIProvider,
    openai_client,
)
from invoice_extractor.domain.call_retry import CallRetryPolicy
from invoice_extractor.domain.model import UserExtractionSettings
from invoice_extractor.handlers.extract_invoice import ExtractInvoice, RetryPolicy

pytestmark = pytest.mark.infra

# The fake server echoes a masked key (its first 8 and last 4 characters) in its 401 text, as
# OpenAI does; the tail is mixed-case so that no id or hash in a log can match it by chance.
TAIL = "Qz7X"


@pytest.mark.parametrize(
    "scenario", ["ok", "invalid", "quota", "ratelimit", "error", "flaky", "refusal", "malformed"]
)
async def test_the_key_is_in_no_log_and_no_event(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture, scenario: str
) -> None:
    api_key = f"sk-fake-{scenario}-projSecret{TAIL}"
    content = english_invoice()
    upload = uploaded_event(content)
    documents, settings, appender = FakeDocuments(), FakeSettings(), FakeAppender()
    documents.add(upload, content)
    settings.by_user[upload.data.user_id] = UserExtractionSettings(openai_api_key=api_key)
    clock = FakeClock()
    offline = OfflineProvider()
    handler = ExtractInvoice(
        documents=documents,
        settings=settings,
        providers={
            "openai": OpenAIProvider(
                OpenAIClients(
                    lambda key: openai_client(key, base_url=fake_openai.base_url, timeout_seconds=5)
                ),
                default_model="gpt-4o-mini",
                timeout_seconds=5,
                retry=CallRetryPolicy(budget_seconds=2.0),
                sleep=clock.sleep,
                clock=clock,
            ),
            "offline": offline,
        },
        appender=appender,
        # One delivery only, so a transient failure too ends in an appended failure event.
        retry=RetryPolicy(max_deliver=1),
    )
    delivery = FakeDelivery.of(upload, stream_sequence=appender.seed(upload))

    with caplog.at_level(logging.DEBUG):
        outcome = await handler(delivery)
    offline.close()

    assert outcome in ("extracted", "failed")
    [event] = appender.outcomes(upload.subject)
    recorded = event.model_dump_json()
    for secret in (api_key, TAIL):
        assert secret not in caplog.text
        assert secret not in recorded
