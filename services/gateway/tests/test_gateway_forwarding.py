"""Requests and answers pass through the gateway to stand-in backends, streamed both ways."""

import asyncio
import hashlib
import json
import uuid

import pytest
from gateway_standins import CHUNK, MAX_JSON_BYTES, MAX_UPLOAD_BYTES, eventually, file_bytes

MIB = 1024 * 1024


def _request_id() -> str:
    return f"test-{uuid.uuid4().hex}"


def _bearer(stand_ins) -> dict[str, str]:
    return {"Authorization": f"Bearer {stand_ins.key.token()}"}


async def test_a_request_arrives_with_method_path_query_and_cleaned_headers(client, stand_ins):
    request_id = _request_id()
    token = stand_ins.key.token()

    answer = await client.get(
        "/invoices/search?query=acme%20gmbh&limit=5&status=extracted",
        headers={
            "Authorization": f"Bearer {token}",
            "X-Request-Id": request_id,
            "Connection": "keep-alive, X-Hop-Secret",
            "X-Hop-Secret": "for the next hop only",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "X-User-Id": str(uuid.uuid4()),
            "X-Frontend-Version": "1.2.3",
        },
    )

    assert answer.status_code == 200
    assert answer.json()["backend"] == "query"
    received = stand_ins.query.find(request_id)
    assert received.method == "GET"
    assert received.path == "/invoices/search"
    assert received.query == "query=acme%20gmbh&limit=5&status=extracted"
    assert received.header("authorization") == f"Bearer {token}"
    assert received.header("x-frontend-version") == "1.2.3"
    assert received.header("traceparent").startswith("00-")
    assert received.header("x-forwarded-for") == "127.0.0.1"
    assert received.header("x-forwarded-proto") == "http"
    assert received.header("x-forwarded-host") == client.base_url.netloc.decode()
    assert (
        not {
            "x-hop-secret",
            "keep-alive",
            "proxy-authorization",
            "x-user-id",
        }
        & received.header_names()
    )
    assert answer.headers.get_list("x-request-id") == [request_id]


async def test_a_request_without_an_id_gets_one_that_the_backend_sees_too(client, stand_ins):
    answer = await client.get("/settings", headers=_bearer(stand_ins))

    request_id = answer.headers["x-request-id"]
    assert request_id
    assert stand_ins.auth.find(request_id) is not None


async def test_a_json_body_is_passed_on_with_its_length(client, stand_ins):
    request_id = _request_id()
    body = json.dumps({"system_prompt": "Be exact.", "model": "gpt-4o-mini"}).encode()

    answer = await client.put(
        "/settings",
        content=body,
        headers={
            **_bearer(stand_ins),
            "X-Request-Id": request_id,
            "Content-Type": "application/json",
        },
    )

    assert answer.status_code == 200
    received = stand_ins.auth.find(request_id)
    assert received.method == "PUT"
    assert received.body == body
    assert received.header("content-length") == str(len(body))
    assert received.header("content-type") == "application/json"


async def test_the_backends_status_and_headers_come_back(client, stand_ins):
    answer = await client.post(
        "/invoices/upload",
        files={"file": ("invoice.pdf", b"%PDF-1.7 tiny", "application/pdf")},
        headers={**_bearer(stand_ins), "X-Request-Id": _request_id()},
    )

    assert answer.status_code == 202
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["backend"] == "ingest"


async def test_a_chunked_upload_is_streamed_to_the_backend_as_it_arrives(client, stand_ins):
    request_id = _request_id()
    document = file_bytes(5 * MIB)
    first = document[:MIB]

    async def body():
        yield first
        # The rest is sent only once the backend has the first part: a gateway that buffered
        # the whole body before forwarding would leave this wait to time out.
        await eventually(lambda: stand_ins.ingest.upload_progress.get(request_id, 0) >= len(first))
        for start in range(len(first), len(document), CHUNK):
            yield document[start : start + CHUNK]

    answer = await client.post(
        "/invoices/upload",
        content=body(),
        headers={
            **_bearer(stand_ins),
            "X-Request-Id": request_id,
            "Content-Type": "application/octet-stream",
        },
    )

    assert answer.status_code == 202
    assert answer.json()["sha256"] == hashlib.sha256(document).hexdigest()
    received = stand_ins.ingest.find(request_id)
    assert received.body == document
    assert received.header("transfer-encoding") == "chunked"


async def test_an_upload_with_a_declared_length_arrives_byte_for_byte(client, stand_ins):
    request_id = _request_id()
    document = file_bytes(5 * MIB)

    answer = await client.post(
        "/invoices/upload",
        content=document,
        headers={**_bearer(stand_ins), "X-Request-Id": request_id},
    )

    assert answer.status_code == 202
    received = stand_ins.ingest.find(request_id)
    assert received.header("content-length") == str(len(document))
    assert received.body == document


async def test_a_download_reaches_the_client_before_the_backend_has_sent_it_all(client, stand_ins):
    request_id = _request_id()
    size = 8 * MIB
    invoice_id = uuid.uuid4()

    request = client.build_request(
        "GET",
        f"/invoices/{invoice_id}/file",
        params={"size": size, "hold": "true"},
        headers={**_bearer(stand_ins), "X-Request-Id": request_id},
    )
    # The backend holds the rest of the file until the first chunk has arrived here, so a
    # gateway that buffered the answer would run into these time limits.
    answer = await asyncio.wait_for(client.send(request, stream=True), timeout=5)
    try:
        chunks = answer.aiter_raw()
        first = await asyncio.wait_for(anext(chunks), timeout=5)
        stand_ins.ingest.release(request_id).set()
        rest = b"".join([chunk async for chunk in chunks])
    finally:
        await answer.aclose()

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-length"] == str(size)
    assert answer.headers["content-disposition"] == f'attachment; filename="{invoice_id}.pdf"'
    assert first + rest == file_bytes(size)


async def _status_for_declared_length(gateway_url: str, path: str, length: int, token: str):
    """Send only a request head declaring a body; the gateway must answer without waiting."""
    host, port = gateway_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/invoices/upload", MAX_UPLOAD_BYTES), ("/auth/login", MAX_JSON_BYTES)],
)
async def test_a_declared_length_over_the_routes_limit_is_refused_at_once(
    gateway, stand_ins, path, limit
):
    status = await _status_for_declared_length(gateway.url, path, limit + 1, stand_ins.key.token())

    assert status == 413


async def test_a_declared_length_over_the_limit_gets_a_problem(client, stand_ins):
    request_id = _request_id()

    answer = await client.post(
        "/auth/login",
        content=b"{" + b" " * MAX_JSON_BYTES + b"}",
        headers={"X-Request-Id": request_id, "Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["limit_bytes"] == MAX_JSON_BYTES
    assert stand_ins.auth.find(request_id) is None


async def test_a_chunked_upload_growing_past_the_limit_is_aborted(client, stand_ins):
    request_id = _request_id()

    async def body():
        for _ in range(MAX_UPLOAD_BYTES // MIB + 2):
            yield file_bytes(MIB)

    answer = await client.post(
        "/invoices/upload",
        content=body(),
        headers={**_bearer(stand_ins), "X-Request-Id": request_id},
    )

    assert answer.status_code == 413
    assert answer.json()["limit_bytes"] == MAX_UPLOAD_BYTES
    await eventually(lambda: request_id in stand_ins.ingest.aborted_uploads)
    assert stand_ins.ingest.find(request_id) is None


async def test_a_chunked_json_body_growing_past_the_limit_is_refused(client, stand_ins):
    request_id = _request_id()

    async def body():
        for _ in range(4):
            yield b" " * (MAX_JSON_BYTES // 2)

    answer = await client.post(
        "/auth/login",
        content=body(),
        headers={"X-Request-Id": request_id, "Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert stand_ins.auth.find(request_id) is None
