"""Ingest with real JetStream and real object stores (a folder, and MinIO's client on moto).

The stream is the fixed INVOICES stream, shared with other tests: every assertion looks only
at invoices made here, found by their ids.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
import nats
import pytest
from ingest_support import ingest_settings, pdf_bytes, png_bytes, running
from invoice_contracts.events import STREAM_NAME, InvoiceUploaded, invoice_subject, parse_event
from invoice_devstack.tokens import AccessTokenIssuer
from invoice_ingest.bootstrap import create_app
from invoice_ingest.domain.idempotency import invoice_id_for_idempotency_key
from invoice_ingest.service import IngestService

if TYPE_CHECKING:
    from invoice_devstack.nats import NatsServer
from invoice_platform.storage import ObjectNotFound, invoice_object_key
from nats.js import JetStreamContext

pytestmark = pytest.mark.infra

LIMIT_BYTES = 128 * 1024


@dataclass
class RunningIngest:
    kind: str
    client: httpx.AsyncClient
    service: IngestService


@pytest.fixture(scope="module")
async def jetstream(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream()
    await connection.close()


@pytest.fixture(scope="module", params=["filesystem", "s3"])
async def ingest(
    request: pytest.FixtureRequest,
    nats_server: NatsServer,
    issuer: AccessTokenIssuer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningIngest]:
    if request.param == "filesystem":
        store = {"OBJECT_STORE_PATH": str(tmp_path_factory.mktemp("ingest-objects"))}
    else:
        s3 = request.getfixturevalue("s3_server")
        bucket = f"ingest-it-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(bucket)
        store = {
            "S3_ENDPOINT": s3.endpoint,
            "S3_ACCESS_KEY": s3.access_key,
            "S3_SECRET_KEY": s3.secret_key,
            "S3_BUCKET": bucket,
        }
    settings = ingest_settings(
        NATS_URL=nats_server.url,
        OBJECT_STORE=request.param,
        max_upload_bytes=LIMIT_BYTES,
        **store,
    )
    app = create_app(settings, keys=issuer.key_set())
    async with running(app) as client:
        yield RunningIngest(request.param, client, app.state.ingest)


async def uploaded_events(js: JetStreamContext, invoice_id: uuid.UUID | str) -> int:
    info = await js.stream_info(STREAM_NAME, subjects_filter=f"invoices.{invoice_id}.>")
    return sum((info.state.subjects or {}).values())


async def uploaded_event(js: JetStreamContext, invoice_id: uuid.UUID | str) -> InvoiceUploaded:
    message = await js.get_last_msg(STREAM_NAME, invoice_subject(invoice_id, "uploaded"))
    assert message.data is not None
    event = parse_event(message.data)
    assert isinstance(event, InvoiceUploaded)
    return event


async def stored(ingest: RunningIngest, user_id: uuid.UUID, invoice_id: uuid.UUID) -> bool:
    try:
        await ingest.service.store.stat(invoice_object_key(user_id, invoice_id))
    except ObjectNotFound:
        return False
    return True


async def upload(
    ingest: RunningIngest,
    issuer: AccessTokenIssuer,
    user_id: uuid.UUID,
    content: bytes,
    file_name: str,
    **headers: str,
) -> httpx.Response:
    return await ingest.client.post(
        "/invoices/upload",
        files={"file": (file_name, content, "application/octet-stream")},
        headers=issuer.headers(user_id, **headers),
    )


@pytest.mark.parametrize(
    ("content", "file_name", "content_type"),
    [(pdf_bytes(), "Rechnung 7.pdf", "application/pdf"), (png_bytes(), "scan.png", "image/png")],
)
async def test_an_accepted_upload_is_on_the_stream_as_the_contract_says(
    ingest: RunningIngest,
    issuer: AccessTokenIssuer,
    jetstream: JetStreamContext,
    content: bytes,
    file_name: str,
    content_type: str,
) -> None:
    user_id = uuid.uuid4()

    response = await upload(ingest, issuer, user_id, content, file_name)

    assert response.status_code == 202
    invoice_id = uuid.UUID(response.json()["invoice_id"])
    event = await uploaded_event(jetstream, invoice_id)
    assert event.subject == str(invoice_id)
    assert event.userid == str(user_id)
    assert event.source == "/invoice-backend/ingest"
    assert event.data.invoice_id == invoice_id
    assert event.data.user_id == user_id
    assert event.data.object_key == invoice_object_key(user_id, invoice_id)
    assert event.data.file_name == file_name
    assert event.data.content_type == content_type
    assert event.data.size_bytes == len(content)
    assert event.data.sha256 == hashlib.sha256(content).hexdigest()
    assert event.time == datetime.fromisoformat(response.json()["uploaded_at"])
    assert await stored(ingest, user_id, invoice_id)


async def test_a_text_file_named_pdf_is_refused(
    ingest: RunningIngest, issuer: AccessTokenIssuer, jetstream: JetStreamContext
) -> None:
    user_id = uuid.uuid4()

    response = await upload(
        ingest,
        issuer,
        user_id,
        b"Invoice\nTotal 12.00\n",
        "invoice.pdf",
        **{"Idempotency-Key": "t"},
    )

    assert response.status_code == 415
    invoice_id = invoice_id_for_idempotency_key(user_id, "t")
    assert await uploaded_events(jetstream, invoice_id) == 0
    assert not await stored(ingest, user_id, invoice_id)


@pytest.mark.parametrize("extra_bytes", [1, 512 * 1024])
async def test_an_oversized_upload_is_refused_and_leaves_nothing(
    ingest: RunningIngest, issuer: AccessTokenIssuer, jetstream: JetStreamContext, extra_bytes: int
) -> None:
    user_id = uuid.uuid4()
    content = pdf_bytes()
    content += b"\x00" * (LIMIT_BYTES - len(content) + extra_bytes)

    response = await upload(
        ingest, issuer, user_id, content, "big.pdf", **{"Idempotency-Key": "big"}
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    invoice_id = invoice_id_for_idempotency_key(user_id, "big")
    assert await uploaded_events(jetstream, invoice_id) == 0
    assert not await stored(ingest, user_id, invoice_id)


async def test_an_upload_without_a_token_is_refused(ingest: RunningIngest) -> None:
    response = await ingest.client.post(
        "/invoices/upload", files={"file": ("invoice.pdf", pdf_bytes(), "application/pdf")}
    )

    assert response.status_code == 401


async def test_another_user_cannot_reach_the_file(
    ingest: RunningIngest, issuer: AccessTokenIssuer
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    invoice_id = (await upload(ingest, issuer, owner, pdf_bytes(), "a.pdf")).json()["invoice_id"]

    download = await ingest.client.get(
        f"/invoices/{invoice_id}/file", headers=issuer.headers(stranger)
    )
    url = await ingest.client.get(
        f"/invoices/{invoice_id}/file-url", headers=issuer.headers(stranger)
    )

    assert download.status_code == 404
    assert url.status_code == 404


async def test_the_same_idempotency_key_twice_is_one_invoice_and_one_event(
    ingest: RunningIngest, issuer: AccessTokenIssuer, jetstream: JetStreamContext
) -> None:
    user_id, content, key = uuid.uuid4(), png_bytes(8, 8), f"retry-{uuid.uuid4()}"

    first = await upload(ingest, issuer, user_id, content, "scan.png", **{"Idempotency-Key": key})
    again = await upload(ingest, issuer, user_id, content, "scan.png", **{"Idempotency-Key": key})

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert await uploaded_events(jetstream, first.json()["invoice_id"]) == 1


async def test_the_owner_downloads_the_exact_bytes(
    ingest: RunningIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), pdf_bytes("Beleg über 12,00 €")
    uploaded = await upload(ingest, issuer, user_id, content, "Beleg über 12 €.pdf")
    invoice_id = uploaded.json()["invoice_id"]

    response = await ingest.client.get(
        f"/invoices/{invoice_id}/file", headers=issuer.headers(user_id)
    )

    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["content-disposition"] == (
        'attachment; filename="Beleg uber 12 .pdf"; '
        "filename*=UTF-8''Beleg%20%C3%BCber%2012%20%E2%82%AC.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"


async def test_the_file_url_leads_to_the_file(
    ingest: RunningIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), png_bytes(4, 4)
    invoice_id = (await upload(ingest, issuer, user_id, content, "s.png")).json()["invoice_id"]

    response = await ingest.client.get(
        f"/invoices/{invoice_id}/file-url", headers=issuer.headers(user_id)
    )

    assert response.status_code == 200
    body = response.json()
    if ingest.kind == "filesystem":
        assert body == {"url": f"/invoices/{invoice_id}/file", "expires_at": None}
        return
    assert body["expires_at"] is not None
    async with httpx.AsyncClient() as plain:
        presigned = await plain.get(body["url"])
    assert presigned.status_code == 200
    assert presigned.content == content


async def test_ready_when_bus_store_and_keys_answer(ingest: RunningIngest) -> None:
    response = await ingest.client.get("/readyz")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"bus", "object_store", "signing_keys"}
