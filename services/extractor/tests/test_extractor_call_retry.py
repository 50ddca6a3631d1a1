"""Retrying OpenAI within a delivery: full-jitter backoff, Retry-After, and the time budget."""

from __future__ import annotations

import email.utils

import httpx2
import pytest
from extractor_clock import FakeClock
from extractor_fakes import (
    FakeAppender,
    FakeDelivery,
    FakeDocuments,
    FakeProvider,
    FakeSettings,
    provider_result,
    uploaded_event,
)
from invoice_extractor.adapters.openai_provider import (
    MAX_RETRY_AFTER_SECONDS,
    retry_after_seconds,
)
from invoice_extractor.domain import errors
from invoice_extractor.domain.call_retry import CallRetryPolicy, call_with_retries
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import UserExtractionSettings
from invoice_extractor.handlers.extract_invoice import ExtractInvoice, RetryPolicy

POLICY = CallRetryPolicy(budget_seconds=20.0, base_seconds=0.5, cap_seconds=8.0)


class FlakyCall:
    """Raises the queued errors one per call, then answers."""

    def __init__(self, *failures: ExtractionError) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def test_the_backoff_step_doubles_up_to_its_cap() -> None:
    delays = [POLICY.delay(attempt, None, lambda: 1.0) for attempt in range(1, 8)]

    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


@pytest.mark.parametrize("uniform", [0.0, 0.25, 0.999])
def test_the_jitter_spreads_a_delay_over_the_whole_step(uniform: float) -> None:
    for attempt in range(1, 8):
        step = min(8.0, 0.5 * 2 ** (attempt - 1))

        delay = POLICY.delay(attempt, None, lambda: uniform)

        assert delay == pytest.approx(uniform * step)
        assert 0.0 <= delay < step


def test_retry_after_is_a_floor_for_the_delay() -> None:
    assert POLICY.delay(1, 3.0, lambda: 1.0) == 3.0
    assert POLICY.delay(5, 3.0, lambda: 1.0) == 8.0
    assert POLICY.delay(1, 0.0, lambda: 0.5) == 0.25


async def test_transient_failures_are_retried_after_growing_waits() -> None:
    clock = FakeClock()
    call = FlakyCall(
        errors.openai_unavailable(), errors.openai_unreachable(), errors.openai_timeout(5)
    )

    answer = await call_with_retries(
        call, POLICY, sleep=clock.sleep, clock=clock, uniform=lambda: 1.0
    )

    assert answer == "answer"
    assert call.calls == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_the_wait_a_failure_asks_for_is_honoured() -> None:
    clock = FakeClock()
    call = FlakyCall(errors.openai_rate_limited().deferred(2.5))

    await call_with_retries(call, POLICY, sleep=clock.sleep, clock=clock, uniform=lambda: 0.1)

    assert clock.sleeps == [2.5]


async def test_a_permanent_failure_is_raised_without_waiting() -> None:
    clock = FakeClock()
    call = FlakyCall(errors.quota_exhausted())

    with pytest.raises(ExtractionError) as failure:
        await call_with_retries(call, POLICY, sleep=clock.sleep, clock=clock)

    assert failure.value.error_code == "quota_exhausted"
    assert call.calls == 1 and clock.sleeps == []


async def test_beyond_the_budget_the_failure_carries_the_wait_it_still_needs() -> None:
    clock = FakeClock()
    call = FlakyCall(*[errors.openai_unavailable() for _ in range(10)])

    with pytest.raises(ExtractionError) as failure:
        await call_with_retries(call, POLICY, sleep=clock.sleep, clock=clock, uniform=lambda: 1.0)

    # 0.5 + 1 + 2 + 4 + 8 = 15.5 s waited; another 8 s would end at 23.5 s, beyond 20 s.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert call.calls == 6
    assert failure.value.error_code == "openai_unavailable"
    assert failure.value.transient
    assert failure.value.retry_after_seconds == 8.0


async def test_time_spent_in_the_calls_counts_against_the_budget() -> None:
    clock = FakeClock()

    async def slow_failure() -> str:
        clock.now += 15.0
        raise errors.openai_timeout(15)

    with pytest.raises(ExtractionError) as failure:
        await call_with_retries(
            slow_failure, POLICY, sleep=clock.sleep, clock=clock, uniform=lambda: 1.0
        )

    # 15 s + 0.5 s wait is within 20 s; after the second call 30.5 s have passed.
    assert clock.sleeps == [0.5]
    assert failure.value.error_code == "openai_timeout"
    assert failure.value.retry_after_seconds == 1.0


async def test_a_retry_after_beyond_the_budget_is_handed_on_at_once() -> None:
    clock = FakeClock()
    call = FlakyCall(errors.openai_rate_limited().deferred(45.0))

    with pytest.raises(ExtractionError) as failure:
        await call_with_retries(call, POLICY, sleep=clock.sleep, clock=clock)

    assert clock.sleeps == []
    assert failure.value.retry_after_seconds == 45.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.75"}, 0.75),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after": "999999999"}, MAX_RETRY_AFTER_SECONDS),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers_are_read_in_seconds(
    headers: dict[str, str], expected: float | None
) -> None:
    assert retry_after_seconds(httpx2.Headers(headers)) == expected


def test_a_retry_after_date_is_read_relative_to_now() -> None:
    now = 1_750_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)

    assert retry_after_seconds(httpx2.Headers({"retry-after": date}), now=lambda: now) == 30.0


async def nak_delay_for(failure: ExtractionError, attempt: int) -> float | None:
    """How long the handler hands a delivery back for, when OpenAI failed with `failure`."""
    upload = uploaded_event(b"%PDF-1.4 retried")
    documents, settings, appender = FakeDocuments(), FakeSettings(), FakeAppender()
    documents.add(upload, b"%PDF-1.4 retried")
    settings.by_user[upload.data.user_id] = UserExtractionSettings(openai_api_key="sk-test")
    openai = FakeProvider(provider_result(), errors=[failure])
    handler = ExtractInvoice(
        documents=documents,
        settings=settings,
        providers={"openai": openai, "offline": FakeProvider(provider_result())},
        appender=appender,
        retry=RetryPolicy(base_seconds=2.0, cap_seconds=60.0),
        uniform=lambda: 0.5,
    )
    delivery = FakeDelivery.of(upload, stream_sequence=appender.seed(upload), attempt=attempt)

    assert await handler(delivery) == "retry"

    kind, delay = delivery.settlement
    assert kind == "nak"
    return delay


async def test_the_handler_naks_with_at_least_the_wait_the_failure_asks_for() -> None:
    # The handler's own backoff is 1.5 s on a first delivery and 6 s on a third.
    assert await nak_delay_for(errors.openai_rate_limited().deferred(0.5), attempt=1) == 1.5
    assert await nak_delay_for(errors.openai_rate_limited().deferred(40.0), attempt=1) == 40.0
    assert await nak_delay_for(errors.openai_unavailable().deferred(8.0), attempt=3) == 8.0
    assert await nak_delay_for(errors.openai_unavailable(), attempt=3) == 6.0
