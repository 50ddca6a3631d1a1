"""One suite for each port, run against the fake and the real adapter alike, so the fakes the
unit tests rely on behave like what runs in production."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest
from faststream.nats import NatsBroker
from ingest_support import FakeAppender, FakeObjectStore, pdf_bytes
from invoice_contracts.events import InvoiceUploaded, InvoiceUploadedData, event_source
from invoice_ingest.ports import InvoiceEventAppender, ObjectStore

if TYPE_CHECKING:
    from invoice_devstack.nats import NatsServer
from invoice_platform.bus import ConcurrentAppend, EventAppender, ensure_invoice_stream, make_broker
from invoice_platform.storage import (
    FilesystemObjectStore,
    MinioObjectStore,
    ObjectNotFound,
    invoice_object_key,
)


@pytest.fixture(params=["fake", "filesystem", pytest.param("minio", marks=pytest.mark.infra)])
def object_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ObjectStore:
    if request.param == "fake":
        return FakeObjectStore()
    if request.param == "filesystem":
        return FilesystemObjectStore(tmp_path_factory.mktemp("objects"))
    s3 = request.getfixturevalue("s3_server")
    bucket = f"ingest-contract-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(bucket)
    return MinioObjectStore(s3.endpoint, s3.access_key, s3.secret_key, bucket, region=s3.region)


def _key() -> str:
    return invoice_object_key(uuid.uuid4(), uuid.uuid4())


async def _collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def test_a_stored_object_keeps_its_type_size_and_metadata(object_store: ObjectStore) -> None:
    key, content = _key(), pdf_bytes()
    metadata = {"file_name": "Rechnung März €.pdf", "sha256": hashlib.sha256(content).hexdigest()}

    await object_store.put(key, io.BytesIO(content), len(content), "application/pdf", metadata)
    info = await object_store.stat(key)

    assert info.size == len(content)
    assert info.content_type == "application/pdf"
    assert info.metadata["file_name"] == metadata["file_name"]
    assert info.metadata["sha256"] == metadata["sha256"]


async def test_a_stored_object_streams_back_byte_for_byte(object_store: ObjectStore) -> None:
    key, content = _key(), pdf_bytes() + bytes(range(256)) * 1500

    await object_store.put(key, io.BytesIO(content), len(content), "application/pdf", {})

    assert await _collect(object_store.stream(key)) == content


async def test_a_missing_object_is_not_found(object_store: ObjectStore) -> None:
    key = _key()

    with pytest.raises(ObjectNotFound):
        await object_store.stat(key)
    with pytest.raises(ObjectNotFound):
        await _collect(object_store.stream(key))


async def test_storing_under_the_same_key_replaces_the_object(object_store: ObjectStore) -> None:
    key = _key()
    await object_store.put(key, io.BytesIO(b"first"), 5, "application/pdf", {"sha256": "1"})

    await object_store.put(key, io.BytesIO(b"second"), 6, "image/png", {"sha256": "2"})

    assert await _collect(object_store.stream(key)) == b"second"
    assert (await object_store.stat(key)).metadata["sha256"] == "2"


async def test_a_working_store_answers_its_ping(object_store: ObjectStore) -> None:
    await object_store.ping()


@pytest.fixture(scope="module")
async def contract_broker(nats_server: NatsServer) -> AsyncIterator[NatsBroker]:
    broker = make_broker(nats_server.url, "ingest-contract-tests")
    await broker.connect()
    await ensure_invoice_stream(broker)
    yield broker
    await broker.stop()


@pytest.fixture(params=["fake", pytest.param("jetstream", marks=pytest.mark.infra)])
def appender(request: pytest.FixtureRequest) -> Iterator[InvoiceEventAppender]:
    if request.param == "fake":
        yield FakeAppender()
    else:
        yield EventAppender(request.getfixturevalue("contract_broker"))


def _uploaded(invoice_id: uuid.UUID | None = None) -> InvoiceUploaded:
    invoice_id, user_id = invoice_id or uuid.uuid4(), uuid.uuid4()
    return InvoiceUploaded(
        source=event_source("ingest-contract-tests"),
        subject=str(invoice_id),
        userid=str(user_id),
        data=InvoiceUploadedData(
            invoice_id=invoice_id,
            user_id=user_id,
            object_key=invoice_object_key(user_id, invoice_id),
            file_name="invoice.pdf",
            content_type="application/pdf",
            size_bytes=10,
            sha256="0" * 64,
        ),
    )


async def test_the_first_event_of_an_invoice_is_appended(appender: InvoiceEventAppender) -> None:
    appended = await appender.append(_uploaded(), expected_invoice_sequence=0)

    assert appended.stream_sequence > 0
    assert not appended.duplicate


async def test_appending_the_same_event_again_is_a_duplicate(
    appender: InvoiceEventAppender,
) -> None:
    event = _uploaded()
    first = await appender.append(event, expected_invoice_sequence=0)

    again = await appender.append(event, expected_invoice_sequence=0)

    assert again.duplicate
    assert again.stream_sequence == first.stream_sequence


async def test_another_first_event_for_the_same_invoice_is_rejected(
    appender: InvoiceEventAppender,
) -> None:
    invoice_id = uuid.uuid4()
    await appender.append(_uploaded(invoice_id), expected_invoice_sequence=0)

    with pytest.raises(ConcurrentAppend):
        await appender.append(_uploaded(invoice_id), expected_invoice_sequence=0)
