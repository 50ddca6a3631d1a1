"""The extraction use case with fakes of its ports: each delivery ends in one settlement."""

from __future__ import annotations

import itertools
import logging
from decimal import Decimal

import pytest
from extractor_fakes import (
    TRACEPARENT,
    FakeAppender,
    FakeDelivery,
    FakeDocuments,
    FakeProvider,
    FakeSettings,
    provider_result,
    uploaded_event,
)
from invoice_contracts.events import (
    InvoiceExtracted,
    InvoiceExtractionFailed,
    event_source,
)
from invoice_contracts.extraction import InvoiceData, TokenUsage
from invoice_extractor.domain import errors
from invoice_extractor.domain.model import UserExtractionSettings
from invoice_extractor.handlers.extract_invoice import ExtractInvoice, RetryPolicy
from prometheus_client import REGISTRY

CONTENT = b"%PDF-1.4 an invoice"
SECRET_KEY = "sk-proj-very-secret-key-4711"


class Scenario:
    """One uploaded invoice, its fakes, and the handler wired to them."""

    def __init__(self, *, max_deliver: int = 8, jitter: float = 0.5) -> None:
        self.upload = uploaded_event(CONTENT)
        self.documents = FakeDocuments()
        self.documents.add(self.upload, CONTENT)
        self.settings = FakeSettings()
        self.openai = FakeProvider(provider_result())
        self.offline = FakeProvider(
            provider_result(
                model="offline-pdf-text",
                usage=TokenUsage(),
                cost_usd=Decimal(0),
                prompt_version=None,
                confidence={"total": 0.6},
            )
        )
        self.appender = FakeAppender()
        self.sequence = self.appender.seed(self.upload)
        self.handler = ExtractInvoice(
            documents=self.documents,
            settings=self.settings,
            providers={"openai": self.openai, "offline": self.offline},
            appender=self.appender,
            retry=RetryPolicy(
                max_deliver=max_deliver,
                base_seconds=2.0,
                cap_seconds=60.0,
                append_attempts=3,
                append_pause_seconds=0.0,
            ),
            uniform=lambda: jitter,
            clock=itertools.count(10.0, 0.25).__next__,
        )

    def delivery(self, attempt: int = 1) -> FakeDelivery:
        return FakeDelivery.of(self.upload, stream_sequence=self.sequence, attempt=attempt)

    def give_key(self, key: str = SECRET_KEY) -> None:
        self.settings.by_user[self.upload.data.user_id] = UserExtractionSettings(
            openai_api_key=key, model="gpt-4o-mini"
        )

    @property
    def outcomes(self) -> list[object]:
        return list(self.appender.outcomes(self.upload.subject))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_without_a_key_the_offline_provider_extracts_and_the_delivery_is_acked() -> None:
    scenario = Scenario()
    delivery = scenario.delivery()

    outcome = await scenario.handler(delivery)

    assert outcome == "extracted"
    assert delivery.settlement == ("ack", None)
    assert len(scenario.offline.calls) == 1 and not scenario.openai.calls
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtracted)
    assert event.source == event_source("extractor")
    assert event.subject == scenario.upload.subject
    assert event.userid == scenario.upload.userid
    assert event.traceparent == TRACEPARENT
    assert event.data.invoice_id == scenario.upload.data.invoice_id
    extraction = event.data.extraction
    assert extraction.provider == "offline"
    assert extraction.model == "offline-pdf-text"
    assert extraction.duration_ms == 250
    assert extraction.confidence == {"total": 0.6}
    assert extraction.data.total == Decimal("119.00")


async def test_with_a_key_openai_extracts_and_its_usage_and_cost_are_recorded() -> None:
    scenario = Scenario()
    scenario.give_key()

    outcome = await scenario.handler(scenario.delivery())

    assert outcome == "extracted"
    [(document, settings)] = scenario.openai.calls
    assert document.bytes == CONTENT and document.file_name == "invoice.pdf"
    assert settings.openai_api_key == SECRET_KEY
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtracted)
    extraction = event.data.extraction
    assert extraction.provider == "openai"
    assert extraction.model == "gpt-4o-mini-2024-07-18"
    assert extraction.prompt_version == "2026-12-01"
    assert extraction.usage == TokenUsage(input_tokens=1200, output_tokens=300)
    assert extraction.cost_usd == Decimal("0.00036")


async def test_the_outcome_is_appended_after_the_upload_it_answers() -> None:
    scenario = Scenario()
    appended: list[int | None] = []
    original = scenario.appender.append

    async def spying_append(event, *, expected_invoice_sequence=None):  # type: ignore[no-untyped-def]
        appended.append(expected_invoice_sequence)
        return await original(event, expected_invoice_sequence=expected_invoice_sequence)

    scenario.appender.append = spying_append  # type: ignore[method-assign]

    await scenario.handler(scenario.delivery())

    assert appended == [scenario.sequence]


async def test_inconsistent_totals_become_warnings_on_the_extraction() -> None:
    scenario = Scenario()
    scenario.offline.result = provider_result(
        data=InvoiceData(subtotal=Decimal("100"), tax_total=Decimal("19"), total=Decimal("120"))
    )

    await scenario.handler(scenario.delivery())

    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtracted)
    assert [w.code for w in event.data.extraction.warnings] == ["totals_mismatch"]


async def test_a_permanent_failure_appends_a_failure_event_and_acks() -> None:
    scenario = Scenario()
    scenario.give_key()
    scenario.openai.errors.append(errors.invalid_api_key())
    delivery = scenario.delivery(attempt=3)

    outcome = await scenario.handler(delivery)

    assert outcome == "failed"
    assert delivery.settlement == ("ack", None)
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "invalid_api_key"
    assert event.data.reason == "Your OpenAI API key was rejected: update it in Settings."
    assert event.data.attempts == 3
    assert event.traceparent == TRACEPARENT
    assert event.source == event_source("extractor")


async def test_a_file_without_text_and_without_a_key_fails_permanently() -> None:
    scenario = Scenario()
    scenario.offline.errors.append(errors.no_text_found())
    delivery = scenario.delivery()

    await scenario.handler(delivery)

    assert delivery.settlement == ("ack", None)
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "no_text_found"


async def test_a_missing_file_fails_permanently() -> None:
    scenario = Scenario()
    scenario.documents.failures.append(errors.file_missing())
    delivery = scenario.delivery()

    assert await scenario.handler(delivery) == "failed"

    assert delivery.settlement == ("ack", None)
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "file_missing"


@pytest.mark.parametrize(
    "failure",
    [errors.file_storage_unavailable(), errors.settings_unavailable()],
    ids=["object store", "auth"],
)
async def test_an_unreachable_dependency_naks_for_a_later_retry(failure: Exception) -> None:
    scenario = Scenario()
    if failure.error_code == "file_storage_unavailable":  # type: ignore[attr-defined]
        scenario.documents.failures.append(failure)  # type: ignore[arg-type]
    else:
        scenario.settings.failures.append(failure)  # type: ignore[arg-type]
    delivery = scenario.delivery()

    assert await scenario.handler(delivery) == "retry"

    assert delivery.settlement == ("nak", 1.5)
    assert scenario.outcomes == []


async def test_transient_failures_are_retried_with_a_growing_delay() -> None:
    delays = []
    for attempt in range(1, 8):
        scenario = Scenario(jitter=0.5)
        scenario.give_key()
        scenario.openai.errors.append(errors.openai_rate_limited())
        delivery = scenario.delivery(attempt=attempt)

        assert await scenario.handler(delivery) == "retry"

        kind, delay = delivery.settlement
        assert kind == "nak"
        delays.append(delay)
        assert scenario.outcomes == []

    assert delays == [1.5, 3.0, 6.0, 12.0, 24.0, 45.0, 45.0]


async def test_retry_delays_are_jittered_within_their_step() -> None:
    for jitter, expected in ((0.0, 4.0), (1.0, 8.0)):
        scenario = Scenario(jitter=jitter)
        scenario.settings.failures.append(errors.settings_unavailable())
        delivery = scenario.delivery(attempt=3)

        await scenario.handler(delivery)

        assert delivery.settlement == ("nak", expected)


async def test_naks_are_counted_by_reason() -> None:
    before = sample("extractor_naks_total", reason="openai_unavailable")
    scenario = Scenario()
    scenario.give_key()
    scenario.openai.errors.append(errors.openai_unavailable())

    await scenario.handler(scenario.delivery())

    assert sample("extractor_naks_total", reason="openai_unavailable") == before + 1


async def test_the_last_allowed_delivery_appends_retries_exhausted_and_acks() -> None:
    scenario = Scenario(max_deliver=8)
    scenario.give_key()
    scenario.openai.errors.append(errors.openai_unavailable())
    delivery = scenario.delivery(attempt=8)

    assert await scenario.handler(delivery) == "failed"

    assert delivery.settlement == ("ack", None)
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "retries_exhausted"
    assert event.data.attempts == 8
    assert "OpenAI's service kept failing." in event.data.reason


async def test_a_redelivery_of_a_decided_invoice_acks_without_a_second_outcome() -> None:
    scenario = Scenario()
    first = scenario.delivery(attempt=1)
    assert await scenario.handler(first) == "extracted"
    redelivery = scenario.delivery(attempt=2)

    outcome = await scenario.handler(redelivery)

    assert outcome == "already_decided"
    assert redelivery.settlement == ("ack", None)
    assert len(scenario.outcomes) == 1


async def test_a_failure_racing_with_another_extractors_outcome_acks_without_a_second() -> None:
    scenario = Scenario(max_deliver=2)
    scenario.appender.seed(
        InvoiceExtracted.model_validate(
            {
                "source": "/invoice-backend/extractor",
                "subject": scenario.upload.subject,
                "userid": scenario.upload.userid,
                "data": {
                    "invoice_id": scenario.upload.subject,
                    "user_id": scenario.upload.userid,
                    "extraction": {
                        "data": {},
                        "provider": "offline",
                        "model": "m",
                        "duration_ms": 1,
                    },
                },
            }
        )
    )
    scenario.settings.failures.append(errors.settings_unavailable())
    delivery = scenario.delivery(attempt=2)

    assert await scenario.handler(delivery) == "already_decided"

    assert delivery.settlement == ("ack", None)
    assert [e.type for e in scenario.outcomes] == ["invoice.extracted"]


async def test_a_short_bus_outage_is_ridden_out_without_a_redelivery() -> None:
    scenario = Scenario()
    scenario.appender.unavailable = 2
    delivery = scenario.delivery()

    assert await scenario.handler(delivery) == "extracted"

    assert delivery.settlement == ("ack", None)
    assert len(scenario.outcomes) == 1


async def test_a_longer_bus_outage_naks_the_delivery() -> None:
    scenario = Scenario()
    scenario.appender.unavailable = 3
    delivery = scenario.delivery()

    assert await scenario.handler(delivery) == "retry"

    assert delivery.settlement == ("nak", 1.5)
    assert scenario.outcomes == []


async def test_an_unavailable_bus_on_the_last_delivery_is_logged_and_tried_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scenario = Scenario(max_deliver=3)
    scenario.appender.unavailable = 6
    delivery = scenario.delivery(attempt=3)

    with caplog.at_level(logging.ERROR, logger="invoice_extractor"):
        assert await scenario.handler(delivery) == "retry"

    assert delivery.settlement[0] == "nak"
    assert scenario.outcomes == []
    assert f"stream sequence {scenario.sequence}" in caplog.text

    # The message comes back (the consumer delivers without limit); now the bus answers.
    later = scenario.delivery(attempt=4)
    assert await scenario.handler(later) == "failed"
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "retries_exhausted"
    assert later.settlement == ("ack", None)


async def test_a_delivery_past_the_limit_fails_without_extracting_again() -> None:
    # Earlier deliveries ended unsettled (the extractor crashed on this file each time).
    scenario = Scenario(max_deliver=3)
    delivery = scenario.delivery(attempt=4)

    assert await scenario.handler(delivery) == "failed"

    assert scenario.offline.calls == [] and scenario.openai.calls == []
    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "retries_exhausted"
    assert "interrupted" in event.data.reason
    assert delivery.settlement == ("ack", None)


async def test_an_unexpected_error_is_retried_and_finally_reported() -> None:
    scenario = Scenario(max_deliver=2)
    scenario.offline.errors.extend([RuntimeError("bug"), RuntimeError("bug")])
    first, last = scenario.delivery(attempt=1), scenario.delivery(attempt=2)

    assert await scenario.handler(first) == "retry"
    assert await scenario.handler(last) == "failed"

    [event] = scenario.outcomes
    assert isinstance(event, InvoiceExtractionFailed)
    assert event.data.error_code == "retries_exhausted"
    assert "The extractor failed unexpectedly." in event.data.reason


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"type": "invoice.uploaded"}',
        b"",
    ],
    ids=["not json", "incomplete", "empty"],
)
async def test_an_undecodable_message_is_terminated_and_counted(
    body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = Scenario()
    delivery = FakeDelivery(body, stream_sequence=977)
    before = sample("extractor_poison_messages_total")

    with caplog.at_level(logging.ERROR, logger="invoice_extractor"):
        assert await scenario.handler(delivery) == "poison"

    assert delivery.settlement == ("term", None)
    assert scenario.outcomes == []
    assert sample("extractor_poison_messages_total") == before + 1
    assert "stream sequence 977" in caplog.text


async def test_another_event_type_on_the_upload_subject_is_terminated() -> None:
    scenario = Scenario()
    failed = InvoiceExtractionFailed.model_validate(
        {
            "source": "/elsewhere",
            "subject": scenario.upload.subject,
            "userid": scenario.upload.userid,
            "data": {
                "invoice_id": scenario.upload.subject,
                "user_id": scenario.upload.userid,
                "error_code": "x",
                "reason": "y",
                "attempts": 1,
            },
        }
    )
    delivery = FakeDelivery(failed.model_dump_json().encode())

    assert await scenario.handler(delivery) == "poison"

    assert delivery.settlement == ("term", None)


async def test_the_api_key_appears_in_no_event_and_no_log(caplog: pytest.LogCaptureFixture) -> None:
    scenario = Scenario(max_deliver=2)
    scenario.give_key()
    scenario.openai.errors.append(errors.invalid_api_key())

    with caplog.at_level(logging.DEBUG):
        await scenario.handler(scenario.delivery())
        repr(scenario.settings.by_user)

    recorded = "".join(
        e.model_dump_json() for e in scenario.appender.of_invoice(scenario.upload.subject)
    )
    assert SECRET_KEY not in recorded
    assert SECRET_KEY not in caplog.text
    assert SECRET_KEY not in repr(scenario.settings.by_user)


async def test_extractions_are_counted_by_provider_and_outcome() -> None:
    before = sample("extractor_extractions_total", provider="offline", outcome="extracted")

    scenario = Scenario()
    await scenario.handler(scenario.delivery())

    after = sample("extractor_extractions_total", provider="offline", outcome="extracted")
    assert after == before + 1
