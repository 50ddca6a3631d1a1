"""The limit on OpenAI calls in flight per API key, against a fake OpenAI that answers slowly."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx2
import openai
import pytest
from extractor_documents import english_invoice
from invoice_devstack.fake_openai import FakeOpenAI
from invoice_extractor.adapters.key_slots import KeySlots
from invoice_extractor.adapters.openai_provider import OpenAIClients, OpenAIProvider
from invoice_extractor.domain.call_retry import CallRetryPolicy
from invoice_extractor.domain.model import Document, UserExtractionSettings
from prometheus_client import REGISTRY

pytestmark = pytest.mark.infra

ANSWER_DELAY = 0.6
BUSY_KEY = "sk-fake-ok-busy-user-0001"
OTHER_KEY = "sk-fake-ok-other-user-0002"


class CountingTransport(httpx2.AsyncBaseTransport):
    """Sends for real, and records how many requests of each key were in flight at once."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()
        self.sent: list[tuple[str, float, dict[str, int]]] = []
        self.answered: list[tuple[str, float]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        self.in_flight[key] += 1
        self.most_in_flight[key] = max(self.most_in_flight[key], self.in_flight[key])
        self.sent.append((key, time.monotonic(), dict(self.in_flight)))
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight[key] -= 1
            self.answered.append((key, time.monotonic()))

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def slow_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.delay_seconds = ANSWER_DELAY
        yield server


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_one_keys_burst_waits_for_its_slots_while_another_key_goes_through(
    slow_openai: FakeOpenAI,
) -> None:
    transport = CountingTransport()

    def create(api_key: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=api_key,
            base_url=slow_openai.base_url,
            http_client=httpx2.AsyncClient(transport=transport),
            max_retries=0,
        )

    # Each call may take at most 1.5 answer delays; the fifth call of the busy key waits two
    # delays for a slot first, so it succeeds only if that wait does not count.
    provider = OpenAIProvider(
        OpenAIClients(create),
        default_model="gpt-4o-mini",
        timeout_seconds=ANSWER_DELAY * 1.5,
        slots=KeySlots(per_key=2),
        retry=CallRetryPolicy(budget_seconds=0.0),
    )
    document = Document(bytes=english_invoice(), content_type="application/pdf", file_name="a.pdf")
    waits_before = sample("extractor_openai_slot_wait_seconds_count")
    waited_before = sample("extractor_openai_slot_wait_seconds_sum")

    async def extract(api_key: str) -> float:
        await provider.extract(document, UserExtractionSettings(openai_api_key=api_key))
        return time.monotonic()

    busy = [asyncio.create_task(extract(BUSY_KEY)) for _ in range(5)]
    deadline = time.monotonic() + 5.0
    while transport.in_flight[BUSY_KEY] < 2:
        assert time.monotonic() < deadline, "the busy key's first calls were not sent"
        await asyncio.sleep(0.01)
    other_started = time.monotonic()
    other_done = await extract(OTHER_KEY)
    busy_done = await asyncio.gather(*busy)

    assert transport.most_in_flight[BUSY_KEY] == 2
    [(_, _, in_flight_then)] = [sent for sent in transport.sent if sent[0] == OTHER_KEY]
    assert in_flight_then == {BUSY_KEY: 2, OTHER_KEY: 1}
    # The other key was answered after one delay, before the busy key's later rounds.
    assert other_done - other_started < ANSWER_DELAY * 1.8
    assert sorted(busy_done)[-1] > other_done
    assert sample("extractor_openai_slot_wait_seconds_count") == waits_before + 6
    # The busy key's third to fifth calls waited one, one and two delays for a slot.
    assert sample("extractor_openai_slot_wait_seconds_sum") - waited_before >= ANSWER_DELAY * 3
