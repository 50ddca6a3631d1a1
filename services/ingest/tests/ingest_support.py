"""Test helpers for ingest: fakes of its ports, sample files, a running app."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

import httpx
from fastapi import FastAPI
from invoice_contracts.events import InvoiceUploaded
from invoice_ingest.settings import IngestSettings
from invoice_platform.bus import Appended, BusUnavailable, ConcurrentAppend
from invoice_platform.storage import ObjectInfo, ObjectNotFound, ObjectStoreUnavailable

UNIT_MAX_UPLOAD_BYTES = 256 * 1024


@dataclass
class _StoredObject:
    data: bytes
    content_type: str
    metadata: dict[str, str]


class FakeObjectStore:
    """An object store in a dict. `presigns` chooses between S3-like and filesystem-like URLs."""

    def __init__(self, *, presigns: bool = False) -> None:
        self.objects: dict[str, _StoredObject] = {}
        self.presigns = presigns
        self.available = True
        self.puts = 0

    def _check_available(self) -> None:
        if not self.available:
            raise ObjectStoreUnavailable("the fake store is switched off")

    async def put(
        self, key: str, source: BinaryIO, size: int, content_type: str, metadata: dict[str, str]
    ) -> None:
        self._check_available()
        self.puts += 1
        self.objects[key] = _StoredObject(source.read(size), content_type, dict(metadata))

    def _get(self, key: str) -> _StoredObject:
        self._check_available()
        try:
            return self.objects[key]
        except KeyError:
            raise ObjectNotFound(key) from None

    async def get_bytes(self, key: str) -> bytes:
        return self._get(key).data

    async def stat(self, key: str) -> ObjectInfo:
        stored = self._get(key)
        return ObjectInfo(key, len(stored.data), stored.content_type, dict(stored.metadata))

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        data = self._get(key).data
        for start in range(0, len(data), 4096):
            yield data[start : start + 4096]

    async def presigned_url(self, key: str, expires: timedelta, file_name: str) -> str | None:
        self._get(key)
        if not self.presigns:
            return None
        return f"https://objects.test/{key}?expires={int(expires.total_seconds())}"

    async def ping(self) -> None:
        self._check_available()


class FakeAppender:
    """An event stream in a list, with JetStream's de-duplication and expected-sequence check."""

    def __init__(self) -> None:
        self.events: list[InvoiceUploaded] = []
        self.available = True
        self._sequence_of_id: dict[str, int] = {}
        self._last_of_invoice: dict[str, int] = {}

    async def append(
        self, event: InvoiceUploaded, *, expected_invoice_sequence: int | None = None
    ) -> Appended:
        if not self.available:
            raise BusUnavailable("the fake bus is switched off")
        if event.id in self._sequence_of_id:
            return Appended(stream_sequence=self._sequence_of_id[event.id], duplicate=True)
        last = self._last_of_invoice.get(event.subject, 0)
        if expected_invoice_sequence is not None and last != expected_invoice_sequence:
            raise ConcurrentAppend(f"invoice {event.subject} is at {last}")
        self.events.append(event)
        sequence = len(self.events)
        self._sequence_of_id[event.id] = sequence
        self._last_of_invoice[event.subject] = sequence
        return Appended(stream_sequence=sequence, duplicate=False)

    def expire_duplicate_window(self) -> None:
        """Forget the appended event ids, as JetStream does once its duplicate window passes."""
        self._sequence_of_id.clear()

    def events_of(self, invoice_id: uuid.UUID | str) -> list[InvoiceUploaded]:
        return [e for e in self.events if e.subject == str(invoice_id)]


def pdf_bytes(text: str = "Invoice 2024-001") -> bytes:
    """A small, valid one-page PDF with a text layer."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small, valid grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def multipart_body(
    parts: list[tuple[str, str | None, bytes]], boundary: str = "invoice-test-boundary"
) -> tuple[bytes, str]:
    """A multipart/form-data body of (field name, file name or None, content) parts."""
    out = io.BytesIO()
    for name, file_name, content in parts:
        disposition = f'form-data; name="{name}"'
        if file_name is not None:
            disposition += f'; filename="{file_name}"'
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode())
        out.write(b"Content-Type: application/octet-stream\r\n\r\n")
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


async def chunked(body: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    """The body as a stream without Content-Length, the way a proxy may forward it."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (its lifespan entered) and an HTTP client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest.test") as client:
            yield client


@dataclass
class FakeIngest:
    """The app wired with fakes, and handles on the fakes for the assertions."""

    client: httpx.AsyncClient
    store: FakeObjectStore
    appender: FakeAppender
    settings: IngestSettings


def ingest_settings(**values: Any) -> IngestSettings:
    """Test settings; shared variables are given by their names, e.g. NATS_URL=..."""
    return IngestSettings(**{"APP_ENV": "test", **values})
