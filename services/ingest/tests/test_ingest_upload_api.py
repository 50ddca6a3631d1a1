"""The upload, download and file-URL routes, with the object store and the bus faked."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
from ingest_support import (
    UNIT_MAX_UPLOAD_BYTES,
    FakeIngest,
    chunked,
    multipart_body,
    pdf_bytes,
    png_bytes,
)
from invoice_contracts.events import InvoiceUploaded
from invoice_devstack.tokens import AccessTokenIssuer
from invoice_ingest.domain.idempotency import invoice_id_for_idempotency_key
from invoice_platform.storage import invoice_object_key
from prometheus_client import REGISTRY

PROBLEM_JSON = "application/problem+json"


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _upload(
    ingest: FakeIngest,
    issuer: AccessTokenIssuer,
    user_id: uuid.UUID,
    content: bytes,
    file_name: str = "invoice.pdf",
    declared_type: str = "application/pdf",
    **headers: str,
) -> httpx.Response:
    return await ingest.client.post(
        "/invoices/upload",
        files={"file": (file_name, content, declared_type)},
        headers=issuer.headers(user_id, **headers),
    )


async def test_a_pdf_upload_is_stored_and_recorded(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), pdf_bytes()
    accepted_before = _metric("ingest_uploads_accepted_total", content_type="application/pdf")

    response = await _upload(fake_ingest, issuer, user_id, content, "März 2024.pdf")

    assert response.status_code == 202
    body = response.json()
    invoice_id = uuid.UUID(body["invoice_id"])
    assert body["status"] == "processing"
    assert body["file_name"] == "März 2024.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size_bytes"] == len(content)
    datetime.fromisoformat(body["uploaded_at"])
    assert response.headers["location"] == f"/invoices/{invoice_id}"

    stored = fake_ingest.store.objects[invoice_object_key(user_id, invoice_id)]
    assert stored.data == content
    assert stored.content_type == "application/pdf"
    assert stored.metadata["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored.metadata["file_name"] == "März 2024.pdf"
    assert stored.metadata["user_id"] == str(user_id)

    [event] = fake_ingest.appender.events_of(invoice_id)
    assert isinstance(event, InvoiceUploaded)
    assert event.source == "/invoice-backend/ingest"
    assert event.userid == str(user_id)
    assert event.data.object_key == invoice_object_key(user_id, invoice_id)
    assert event.data.sha256 == hashlib.sha256(content).hexdigest()
    assert event.data.size_bytes == len(content)
    assert _metric("ingest_uploads_accepted_total", content_type="application/pdf") == (
        accepted_before + 1
    )


async def test_a_png_is_recognised_whatever_name_and_type_the_client_claims(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    response = await _upload(
        fake_ingest, issuer, uuid.uuid4(), png_bytes(), "scan.bin", "application/octet-stream"
    )

    assert response.status_code == 202
    assert response.json()["content_type"] == "image/png"


async def test_a_text_file_named_pdf_is_refused_and_not_stored(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    refused_before = _metric("ingest_uploads_refused_total", reason="unsupported_type")

    response = await _upload(
        fake_ingest, issuer, uuid.uuid4(), b"Total: 12.00 EUR\n" * 10, "invoice.pdf"
    )

    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == (
        "Only PDF and PNG invoices are accepted; this file looks like neither."
    )
    assert fake_ingest.store.objects == {}
    assert fake_ingest.appender.events == []
    assert _metric("ingest_uploads_refused_total", reason="unsupported_type") == (
        refused_before + 1
    )


async def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    content = pdf_bytes() + b"\x00" * UNIT_MAX_UPLOAD_BYTES

    response = await _upload(fake_ingest, issuer, uuid.uuid4(), content)

    assert response.status_code == 413
    assert response.json()["limit_bytes"] == UNIT_MAX_UPLOAD_BYTES
    assert fake_ingest.store.puts == 0
    assert fake_ingest.appender.events == []


async def test_a_file_of_exactly_the_limit_is_accepted(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    content = pdf_bytes()
    content += b"\x00" * (UNIT_MAX_UPLOAD_BYTES - len(content))

    response = await _upload(fake_ingest, issuer, uuid.uuid4(), content)

    assert response.status_code == 202
    assert response.json()["size_bytes"] == UNIT_MAX_UPLOAD_BYTES


async def test_a_streamed_body_is_cut_off_at_the_limit_without_reading_the_rest(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    body, content_type = multipart_body(
        [("file", "big.pdf", pdf_bytes() + b"\x00" * (4 * UNIT_MAX_UPLOAD_BYTES))]
    )
    sent: list[int] = []

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in chunked(body):
            sent.append(len(chunk))
            yield chunk

    response = await fake_ingest.client.post(
        "/invoices/upload",
        content=counted(),
        headers=issuer.headers(uuid.uuid4(), **{"Content-Type": content_type}),
    )

    assert response.status_code == 413
    assert sum(sent) < 2 * UNIT_MAX_UPLOAD_BYTES
    assert fake_ingest.store.puts == 0


async def test_a_declared_length_far_over_the_limit_is_refused_before_reading(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    sent: list[int] = []

    async def never_read() -> AsyncIterator[bytes]:
        sent.append(1)
        yield b"--b\r\n"

    response = await fake_ingest.client.post(
        "/invoices/upload",
        content=never_read(),
        headers=issuer.headers(
            uuid.uuid4(),
            **{
                "Content-Type": "multipart/form-data; boundary=b",
                "Content-Length": str(10 * UNIT_MAX_UPLOAD_BYTES),
            },
        ),
    )

    assert response.status_code == 413
    assert sent == []


async def test_a_form_without_a_file_field_is_refused(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    response = await fake_ingest.client.post(
        "/invoices/upload",
        files={"document": ("invoice.pdf", pdf_bytes(), "application/pdf")},
        headers=issuer.headers(uuid.uuid4()),
    )

    assert response.status_code == 422
    assert response.json()["type"].endswith("missing-file")


async def test_a_body_that_is_not_a_form_is_refused(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    response = await fake_ingest.client.post(
        "/invoices/upload",
        content=pdf_bytes(),
        headers=issuer.headers(uuid.uuid4(), **{"Content-Type": "application/pdf"}),
    )

    assert response.status_code == 422
    assert response.json()["type"].endswith("missing-file")


async def test_an_empty_file_is_refused(fake_ingest: FakeIngest, issuer: AccessTokenIssuer) -> None:
    response = await _upload(fake_ingest, issuer, uuid.uuid4(), b"")

    assert response.status_code == 422
    assert response.json()["type"].endswith("empty-file")
    assert fake_ingest.store.puts == 0


async def test_two_files_in_one_upload_are_refused(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    body, content_type = multipart_body(
        [("file", "a.pdf", pdf_bytes()), ("file", "b.pdf", pdf_bytes())]
    )

    response = await fake_ingest.client.post(
        "/invoices/upload",
        content=body,
        headers=issuer.headers(uuid.uuid4(), **{"Content-Type": content_type}),
    )

    assert response.status_code == 400
    assert fake_ingest.store.puts == 0


async def test_a_body_cut_short_is_refused_and_nothing_is_stored(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    body, content_type = multipart_body([("file", "a.pdf", pdf_bytes())])

    response = await fake_ingest.client.post(
        "/invoices/upload",
        content=body[: len(body) // 2],
        headers=issuer.headers(uuid.uuid4(), **{"Content-Type": content_type}),
    )

    assert response.status_code == 400
    assert response.json()["type"].endswith("malformed-upload")
    assert fake_ingest.store.puts == 0


async def test_other_form_fields_are_ignored(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    content = png_bytes()
    body, content_type = multipart_body(
        [("note", None, b"from the scanner"), ("file", "scan.png", content)]
    )

    response = await fake_ingest.client.post(
        "/invoices/upload",
        content=chunked(body, size=7),
        headers=issuer.headers(uuid.uuid4(), **{"Content-Type": content_type}),
    )

    assert response.status_code == 202
    assert response.json()["size_bytes"] == len(content)


async def test_without_a_token_nothing_is_read_or_stored(fake_ingest: FakeIngest) -> None:
    response = await fake_ingest.client.post(
        "/invoices/upload", files={"file": ("invoice.pdf", pdf_bytes(), "application/pdf")}
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert fake_ingest.store.puts == 0


async def test_a_token_signed_by_another_key_is_refused(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    forger = AccessTokenIssuer(kid=issuer.kid)

    response = await _upload(fake_ingest, forger, uuid.uuid4(), pdf_bytes())

    assert response.status_code == 401
    assert fake_ingest.store.puts == 0


async def test_the_same_idempotency_key_twice_gives_one_invoice_and_one_event(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), pdf_bytes()

    first = await _upload(fake_ingest, issuer, user_id, content, **{"Idempotency-Key": "k-1"})
    again = await _upload(fake_ingest, issuer, user_id, content, **{"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    invoice_id = invoice_id_for_idempotency_key(user_id, "k-1")
    assert first.json()["invoice_id"] == str(invoice_id)
    assert len(fake_ingest.appender.events_of(invoice_id)) == 1
    assert fake_ingest.store.puts == 1


async def test_a_retry_after_the_bus_was_down_records_the_stored_upload(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), pdf_bytes()
    fake_ingest.appender.available = False

    refused = await _upload(fake_ingest, issuer, user_id, content, **{"Idempotency-Key": "k-2"})
    fake_ingest.appender.available = True
    retried = await _upload(fake_ingest, issuer, user_id, content, **{"Idempotency-Key": "k-2"})

    assert refused.status_code == 503
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert "not accepted" in refused.json()["detail"]
    assert retried.status_code == 202
    [event] = fake_ingest.appender.events_of(retried.json()["invoice_id"])
    assert event.data.sha256 == hashlib.sha256(content).hexdigest()


async def test_an_idempotency_key_reused_for_another_file_keeps_the_first_file(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id = uuid.uuid4()
    first = await _upload(fake_ingest, issuer, user_id, pdf_bytes("A"), **{"Idempotency-Key": "k"})

    other = await _upload(fake_ingest, issuer, user_id, pdf_bytes("B"), **{"Idempotency-Key": "k"})

    assert first.status_code == 202
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    key = invoice_object_key(user_id, uuid.UUID(first.json()["invoice_id"]))
    assert fake_ingest.store.objects[key].data == pdf_bytes("A")


async def test_an_idempotent_retry_of_an_invoice_with_later_events_is_still_accepted(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), pdf_bytes()
    first = await _upload(fake_ingest, issuer, user_id, content, **{"Idempotency-Key": "k-3"})
    [event] = fake_ingest.appender.events_of(first.json()["invoice_id"])
    await fake_ingest.appender.append(event.model_copy(update={"id": str(uuid.uuid4())}))
    fake_ingest.appender.expire_duplicate_window()

    again = await _upload(fake_ingest, issuer, user_id, content, **{"Idempotency-Key": "k-3"})

    assert again.status_code == 202
    assert again.json()["invoice_id"] == first.json()["invoice_id"]


async def test_an_unusable_idempotency_key_is_refused(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    response = await _upload(
        fake_ingest, issuer, uuid.uuid4(), pdf_bytes(), **{"Idempotency-Key": "x" * 201}
    )

    assert response.status_code == 400
    assert fake_ingest.store.puts == 0


async def test_when_the_store_is_down_the_upload_is_not_accepted(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    fake_ingest.store.available = False

    response = await _upload(fake_ingest, issuer, uuid.uuid4(), pdf_bytes())

    assert response.status_code == 503
    assert fake_ingest.appender.events == []


async def test_the_owner_downloads_the_exact_bytes_with_safe_headers(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id, content = uuid.uuid4(), png_bytes(64, 64)
    uploaded = await _upload(fake_ingest, issuer, user_id, content, "Beleg Nr 5 €.png")
    invoice_id = uploaded.json()["invoice_id"]

    response = await fake_ingest.client.get(
        f"/invoices/{invoice_id}/file", headers=issuer.headers(user_id)
    )

    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Beleg Nr 5 .png\"; filename*=UTF-8''Beleg%20Nr%205%20%E2%82%AC.png"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"


async def test_another_users_invoice_is_not_found(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    uploaded = await _upload(fake_ingest, issuer, owner, pdf_bytes())
    invoice_id = uploaded.json()["invoice_id"]

    download = await fake_ingest.client.get(
        f"/invoices/{invoice_id}/file", headers=issuer.headers(stranger)
    )
    url = await fake_ingest.client.get(
        f"/invoices/{invoice_id}/file-url", headers=issuer.headers(stranger)
    )

    assert download.status_code == url.status_code == 404
    assert download.headers["content-type"] == PROBLEM_JSON


async def test_an_invoice_id_that_is_not_a_uuid_is_not_found(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    response = await fake_ingest.client.get(
        "/invoices/not-a-uuid/file", headers=issuer.headers(uuid.uuid4())
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_downloads_need_a_token(fake_ingest: FakeIngest) -> None:
    response = await fake_ingest.client.get(f"/invoices/{uuid.uuid4()}/file")

    assert response.status_code == 401


async def test_without_presigning_the_file_url_is_the_download_route(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    user_id = uuid.uuid4()
    invoice_id = (await _upload(fake_ingest, issuer, user_id, pdf_bytes())).json()["invoice_id"]

    response = await fake_ingest.client.get(
        f"/invoices/{invoice_id}/file-url", headers=issuer.headers(user_id)
    )

    assert response.status_code == 200
    assert response.json() == {"url": f"/invoices/{invoice_id}/file", "expires_at": None}


async def test_a_presigned_file_url_expires_after_the_configured_time(
    fake_ingest: FakeIngest, issuer: AccessTokenIssuer
) -> None:
    fake_ingest.store.presigns = True
    user_id = uuid.uuid4()
    invoice_id = (await _upload(fake_ingest, issuer, user_id, pdf_bytes())).json()["invoice_id"]

    response = await fake_ingest.client.get(
        f"/invoices/{invoice_id}/file-url", headers=issuer.headers(user_id)
    )

    body = response.json()
    assert response.status_code == 200
    assert body["url"].endswith("?expires=300")
    remaining = datetime.fromisoformat(body["expires_at"]) - datetime.now(
        datetime.fromisoformat(body["expires_at"]).tzinfo
    )
    assert 290 < remaining.total_seconds() <= 300


async def test_readiness_reports_the_store_and_the_signing_keys(
    fake_ingest: FakeIngest,
) -> None:
    ready = await fake_ingest.client.get("/readyz")
    fake_ingest.store.available = False
    not_ready = await fake_ingest.client.get("/readyz")

    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"object_store", "signing_keys"}
    assert not_ready.status_code == 503
