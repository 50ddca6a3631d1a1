"""An extractor killed in the middle of an extraction leaves the invoice to another one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from invoice_contracts.events import STREAM_NAME, invoice_subjects, parse_event
from invoice_devstack.stack import Stack, StackPorts

from tests.documents import sha256, text_invoice_pdf
from tests.e2e.conftest import ACK_WAIT_SECONDS, Frontend, _stack_dir

SLOW_SECONDS = 4.0


@pytest.fixture(scope="module")
def stack_without_extractors(fake_openai: Any) -> Iterator[Stack]:
    stack = Stack(
        _stack_dir(),
        ports=StackPorts.free(),
        extractors=0,
        extra_env={
            "APP_ENV": "test",
            "OPENAI_BASE_URL": fake_openai.base_url,
            "AUTH_PASSWORD_HASH_PROFILE": "fast",
            "EXTRACTOR_ACK_WAIT_SECONDS": str(ACK_WAIT_SECONDS),
        },
    )
    try:
        stack.start(timeout=90)
        yield stack
    finally:
        stack.stop()


async def _events_of(nats_url: str, invoice_id: str) -> list[Any]:
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(
            invoice_subjects(invoice_id), stream=STREAM_NAME, ordered_consumer=True
        )
        events = []
        while True:
            try:
                message = await subscription.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                return events
            events.append(parse_event(message.data))
    finally:
        await connection.close()


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def test_killed_extractor_hands_over_and_the_invoice_is_extracted_once(
    stack_without_extractors: Stack, fake_openai: Any
) -> None:
    stack = stack_without_extractors
    fake_openai.slow_seconds = SLOW_SECONDS
    user = Frontend(stack.gateway_url).sign_up()
    assert user.put("/settings", json={"openai_api_key": "sk-fake-slow-redelivery"}).is_success

    first = stack.start_service("extractor", index=0)
    stack.wait_ready([first.name])
    pdf = text_invoice_pdf(number="REDELIVER-1")
    digest = sha256(pdf)
    invoice_id = user.upload("slow.pdf", pdf, "application/pdf").json()["invoice_id"]

    def calls_for_this_file() -> int:
        return sum(
            1 for request in fake_openai.requests if request.get("document_sha256") == digest
        )

    _wait_for(lambda: calls_for_this_file() == 1, 30, "the first extractor to call OpenAI")
    stack.stop_service(first.name, kill=True)

    second = stack.start_service("extractor", index=1)
    stack.wait_ready([second.name])
    detail = user.wait_until_settled(invoice_id, timeout=ACK_WAIT_SECONDS + SLOW_SECONDS + 30)

    assert detail["status"] == "extracted"
    assert calls_for_this_file() == 2, "the second extractor redid the killed one's work"
    events = asyncio.run(_events_of(stack.nats.url if stack.nats else "", invoice_id))
    assert [event.type for event in events] == ["invoice.uploaded", "invoice.extracted"]
    listed = [item["invoice_id"] for item in user.get("/invoices").json()["items"]]
    assert listed == [invoice_id]
