"""The whole extractor process against a real NATS: consumer, handler, appends and acks.

Each test consumes only its own invoice's subject with its own durable, so tests never take
each other's uploads (or those of other services' tests) from the shared NATS server.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from extractor_documents import english_invoice
from extractor_fakes import FakeProvider, provider_result, uploaded_event
from fastapi import FastAPI
from invoice_contracts.events import (
    STREAM_NAME,
    InvoiceExtracted,
    InvoiceExtractionFailed,
    InvoiceUploaded,
    invoice_subject,
    invoice_subjects,
    parse_event,
)
from invoice_extractor.bootstrap import create_app
from invoice_extractor.domain.model import ExtractionProvider
from invoice_extractor.settings import ExtractorSettings
from invoice_platform.bus import EventAppender, ensure_invoice_stream, make_broker
from invoice_platform.storage import FilesystemObjectStore

pytestmark = pytest.mark.infra

WAIT_SECONDS = 20.0


class FakeAuth:
    """Auth's internal settings endpoint: answers 503 `failures` times, then no key."""

    def __init__(self, failures: int | None = 0) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.failures is None or self.calls <= self.failures:
            return httpx.Response(503, json={"code": "unavailable"})
        return httpx.Response(
            200, json={"openai_api_key": None, "system_prompt": None, "model": None}
        )


class Bus:
    """The test's own connection: appends uploads and reads what the extractor did."""

    def __init__(self, nats_url: str) -> None:
        self.broker = make_broker(nats_url, "extractor-tests")

    async def __aenter__(self) -> Bus:
        await self.broker.connect()
        await ensure_invoice_stream(self.broker)
        self.js = self.broker.config.connection_state.stream
        self.appender = EventAppender(self.broker)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.broker.stop()

    async def upload(self, store: FilesystemObjectStore, content: bytes) -> InvoiceUploaded:
        event = uploaded_event(content)
        await store.put(
            event.data.object_key, io.BytesIO(content), len(content), "application/pdf", {}
        )
        await self.appender.append(event, expected_invoice_sequence=0)
        return event

    async def events_of(self, invoice_id: str) -> list[Any]:
        """The invoice's events in stream order (each subject holds one in these tests)."""
        info = await self.js.stream_info(STREAM_NAME, subjects_filter=invoice_subjects(invoice_id))
        messages = [
            await self.js.get_last_msg(STREAM_NAME, subject)
            for subject in (info.state.subjects or {})
        ]
        return [parse_event(m.data) for m in sorted(messages, key=lambda m: m.seq)]

    async def subject_counts(self, invoice_id: str) -> dict[str, int]:
        info = await self.js.stream_info(STREAM_NAME, subjects_filter=invoice_subjects(invoice_id))
        return dict(info.state.subjects or {})

    async def consumer_idle(self, durable: str) -> bool:
        info = await self.js.consumer_info(STREAM_NAME, durable)
        return info.num_ack_pending == 0 and info.num_pending == 0

    async def delete_consumer(self, durable: str) -> None:
        await self.js.delete_consumer(STREAM_NAME, durable)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what} did not happen within {WAIT_SECONDS:g} s")
        await asyncio.sleep(0.05)


@pytest.fixture
async def bus(nats_server) -> AsyncIterator[Bus]:  # type: ignore[no-untyped-def]
    async with Bus(nats_server.url) as connected:
        yield connected


@pytest.fixture
def store(tmp_path: Path) -> FilesystemObjectStore:
    return FilesystemObjectStore(tmp_path / "objects")


def extractor_settings(
    nats_url: str, tmp_path: Path, durable: str, **overrides: Any
) -> ExtractorSettings:
    values: dict[str, Any] = {
        "APP_ENV": "test",
        "LOG_JSON": False,
        "NATS_URL": nats_url,
        "OBJECT_STORE": "filesystem",
        "OBJECT_STORE_PATH": str(tmp_path / "objects"),
        "durable": durable,
        "ack_wait_seconds": 2.0,
        "retry_base_seconds": 0.1,
        "retry_cap_seconds": 0.5,
        "shutdown_grace_seconds": 2.0,
    }
    values.update(overrides)
    return ExtractorSettings(**values)


@asynccontextmanager
async def running(
    settings: ExtractorSettings,
    invoice_id: str,
    auth: FakeAuth,
    providers: dict[str, ExtractionProvider] | None = None,
) -> AsyncIterator[FastAPI]:
    app = create_app(
        settings,
        auth_transport=httpx.MockTransport(auth),
        providers=providers,  # type: ignore[arg-type]
        subject=invoice_subject(invoice_id, "uploaded"),
    )
    async with app.router.lifespan_context(app):
        yield app


def durable_name() -> str:
    return f"extractor-test-{uuid.uuid4().hex[:12]}"


async def test_an_upload_is_extracted_exactly_once_and_acked(
    nats_server,
    bus: Bus,
    store: FilesystemObjectStore,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    upload = await bus.upload(store, english_invoice())
    settings = extractor_settings(nats_server.url, tmp_path, durable)

    async with running(settings, upload.subject, FakeAuth()) as app:
        await eventually(
            lambda: _has(bus, upload.subject, "extracted"), "the InvoiceExtracted append"
        )
        await eventually(lambda: bus.consumer_idle(durable), "the ack")

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://extractor") as http:
            ready = await http.get("/readyz")
            metrics = (await http.get("/metrics")).text

    assert await bus.subject_counts(upload.subject) == {
        invoice_subject(upload.subject, "uploaded"): 1,
        invoice_subject(upload.subject, "extracted"): 1,
    }
    [_, extracted] = await bus.events_of(upload.subject)
    assert isinstance(extracted, InvoiceExtracted)
    assert extracted.data.extraction.provider == "offline"
    assert str(extracted.data.extraction.data.total) == "1327.09"
    assert extracted.traceparent == upload.traceparent
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"bus": "ok", "object_store": "ok"}
    assert 'extractor_extractions_total{outcome="extracted",provider="offline"}' in metrics
    await bus.delete_consumer(durable)


async def test_a_transient_failure_is_redelivered_and_then_extracted(
    nats_server,
    bus: Bus,
    store: FilesystemObjectStore,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    upload = await bus.upload(store, english_invoice())
    auth = FakeAuth(failures=1)

    async with running(
        extractor_settings(nats_server.url, tmp_path, durable), upload.subject, auth
    ):
        await eventually(lambda: _has(bus, upload.subject, "extracted"), "the extraction")
        await eventually(lambda: bus.consumer_idle(durable), "the ack")

    assert auth.calls == 2
    counts = await bus.subject_counts(upload.subject)
    assert counts == {
        invoice_subject(upload.subject, "uploaded"): 1,
        invoice_subject(upload.subject, "extracted"): 1,
    }
    await bus.delete_consumer(durable)


async def test_the_last_delivery_records_that_retries_are_exhausted(
    nats_server,
    bus: Bus,
    store: FilesystemObjectStore,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    upload = await bus.upload(store, english_invoice())
    auth = FakeAuth(failures=None)
    settings = extractor_settings(nats_server.url, tmp_path, durable, max_deliver=3)

    async with running(settings, upload.subject, auth):
        await eventually(lambda: _has(bus, upload.subject, "extraction_failed"), "the failure")
        await eventually(lambda: bus.consumer_idle(durable), "the ack")

    assert auth.calls == 3
    [_, failed] = await bus.events_of(upload.subject)
    assert isinstance(failed, InvoiceExtractionFailed)
    assert failed.data.error_code == "retries_exhausted"
    assert failed.data.attempts == 3
    assert "Your extraction settings could not be loaded." in failed.data.reason
    await bus.delete_consumer(durable)


async def test_two_extractors_share_one_durable_and_a_slow_extraction_is_not_redelivered(
    nats_server,
    bus: Bus,
    store: FilesystemObjectStore,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    upload = await bus.upload(store, english_invoice())
    # Twice the ack wait: only the lease renewals keep JetStream from redelivering it.
    slow = FakeProvider(provider_result(), delay_seconds=3.0)
    providers: dict[str, ExtractionProvider] = {"offline": slow, "openai": slow}
    settings = extractor_settings(nats_server.url, tmp_path, durable, ack_wait_seconds=1.5)

    async with AsyncExitStack() as stack:
        for _ in range(2):
            await stack.enter_async_context(
                running(settings, upload.subject, FakeAuth(), providers)
            )
        await eventually(lambda: _has(bus, upload.subject, "extracted"), "the extraction")
        await eventually(lambda: bus.consumer_idle(durable), "the ack")
        info = await bus.js.consumer_info(STREAM_NAME, durable)

    assert len(slow.calls) == 1
    assert info.num_redelivered == 0
    assert info.delivered.consumer_seq == 1
    counts = await bus.subject_counts(upload.subject)
    assert counts[invoice_subject(upload.subject, "extracted")] == 1
    await bus.delete_consumer(durable)


async def test_an_upload_already_decided_is_acked_without_a_second_outcome(
    nats_server,
    bus: Bus,
    store: FilesystemObjectStore,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    upload = await bus.upload(store, english_invoice())
    # Another extractor appended the outcome but crashed before its ack.
    earlier = InvoiceExtracted.model_validate(
        {
            "source": "/invoice-backend/extractor",
            "subject": upload.subject,
            "userid": upload.userid,
            "data": {
                "invoice_id": upload.subject,
                "user_id": upload.userid,
                "extraction": {"data": {}, "provider": "offline", "model": "m", "duration_ms": 1},
            },
        }
    )
    await bus.appender.append(earlier)

    async with running(
        extractor_settings(nats_server.url, tmp_path, durable), upload.subject, FakeAuth()
    ):
        await eventually(lambda: bus.consumer_idle(durable), "the ack")

    [_, only] = await bus.events_of(upload.subject)
    assert only.id == earlier.id
    counts = await bus.subject_counts(upload.subject)
    assert counts[invoice_subject(upload.subject, "extracted")] == 1
    await bus.delete_consumer(durable)


async def test_a_poison_message_is_terminated_and_not_redelivered(
    nats_server,
    bus: Bus,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    invoice_id = str(uuid.uuid4())
    await bus.broker.publish(
        b"{definitely not an event", invoice_subject(invoice_id, "uploaded"), stream=STREAM_NAME
    )

    settings = extractor_settings(nats_server.url, tmp_path, durable, ack_wait_seconds=1.0)

    async with running(settings, invoice_id, FakeAuth()):
        await eventually(lambda: bus.consumer_idle(durable), "the term")
        # An observation window, not a synchronisation: a message left unsettled would be
        # redelivered after the ack wait, and would show up in the consumer's counts.
        await asyncio.sleep(1.5)
        info = await bus.js.consumer_info(STREAM_NAME, durable)

    assert info.num_redelivered == 0 and info.delivered.consumer_seq == 1
    assert await bus.subject_counts(invoice_id) == {invoice_subject(invoice_id, "uploaded"): 1}
    await bus.delete_consumer(durable)


async def test_a_restart_with_a_new_ack_wait_updates_the_durable(
    nats_server,
    bus: Bus,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    durable = durable_name()
    invoice_id = str(uuid.uuid4())

    for ack_wait, max_deliver in ((2.0, 8), (4.0, 5)):
        settings = extractor_settings(
            nats_server.url, tmp_path, durable, ack_wait_seconds=ack_wait, max_deliver=max_deliver
        )
        async with running(settings, invoice_id, FakeAuth()):
            info = await bus.js.consumer_info(STREAM_NAME, durable)

    assert info.config.ack_wait == 4.0
    assert info.config.max_deliver == -1, "the handler, not JetStream, decides when to give up"
    await bus.delete_consumer(durable)


async def _has(bus: Bus, invoice_id: str, kind: str) -> bool:
    counts = await bus.subject_counts(invoice_id)
    return counts.get(invoice_subject(invoice_id, kind), 0) > 0
