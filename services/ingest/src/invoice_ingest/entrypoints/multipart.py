"""Receiving the uploaded file from a multipart/form-data body as it streams in.

The body is parsed chunk by chunk; only the part named "file" is kept, in a spooled temporary
file (memory up to SPOOL_MEMORY_BYTES, then disk), while its size and SHA-256 are counted.
Reading stops at the first byte over the limit, so memory stays bounded and an oversized file
is refused before anything is stored.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, BinaryIO, cast

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from invoice_ingest.domain.errors import FileTooLarge, MalformedUpload, MissingFile
from invoice_ingest.domain.files import SNIFF_BYTES
from invoice_ingest.domain.model import ReceivedFile

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"
SPOOL_MEMORY_BYTES = 1024 * 1024
# Room for the boundaries, part headers and a few small fields around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def body_limit(max_file_bytes: int) -> int:
    return max_file_bytes + MULTIPART_OVERHEAD_BYTES


def _decoded(value: bytes) -> str:
    # Browsers send file names as raw UTF-8 in the part header; anything else is taken as Latin-1.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class _FilePartCollector:
    """Parser callbacks that copy the "file" part into the spool and drop every other part."""

    def __init__(self, spool: tempfile.SpooledTemporaryFile[bytes], max_file_bytes: int) -> None:
        self.spool = spool
        self.max_file_bytes = max_file_bytes
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = bytearray()
        self.client_file_name: str | None = None
        self.file_parts = 0
        self.finished = False
        self._in_file_part = False
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._in_file_part = False

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        if options.get(b"name") != FILE_FIELD.encode():
            return
        self.file_parts += 1
        if self.file_parts > 1:
            raise MalformedUpload("send exactly one file per upload")
        self._in_file_part = True
        filename = options.get(b"filename")
        self.client_file_name = _decoded(filename) if filename is not None else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file_part:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.max_file_bytes:
            raise FileTooLarge(self.max_file_bytes)
        self.digest.update(chunk)
        # The spool lives in memory or the page cache; one chunk is short enough to write
        # without leaving the event loop.
        self.spool.write(chunk)
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]

    def _part_end(self) -> None:
        self._in_file_part = False

    def _end(self) -> None:
        self.finished = True


@asynccontextmanager
async def received_invoice_file(
    request: Request, max_file_bytes: int
) -> AsyncIterator[ReceivedFile]:
    """The uploaded file, spooled; the spool is deleted when the block ends."""
    content_length = request.headers.get("content-length")
    if (
        content_length
        and content_length.isdigit()
        and int(content_length) > body_limit(max_file_bytes)
    ):
        raise FileTooLarge(max_file_bytes)
    media_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise MissingFile("the request is not multipart/form-data")

    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
        collector = _FilePartCollector(spool, max_file_bytes)
        try:
            parser = MultipartParser(boundary, collector.callbacks())
        except FormParserError as exc:
            raise MalformedUpload(f"the multipart boundary is not usable: {exc}") from exc
        await _feed(request, parser, collector, body_limit(max_file_bytes))
        if collector.file_parts == 0:
            raise MissingFile(f"the form has no field named {FILE_FIELD!r}")
        spool.seek(0)
        yield ReceivedFile(
            content=cast(BinaryIO, spool),
            size=collector.size,
            sha256=collector.digest.hexdigest(),
            head=bytes(collector.head),
            client_file_name=collector.client_file_name,
        )


async def _feed(
    request: Request, parser: MultipartParser, collector: _FilePartCollector, limit: int
) -> None:
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise FileTooLarge(collector.max_file_bytes)
            parser.write(chunk)
            if collector.finished:
                # What follows the closing boundary is an epilogue that carries nothing.
                return
    except ClientDisconnect as exc:
        raise MalformedUpload("the client went away before the upload was complete") from exc
    except FormParserError as exc:
        raise MalformedUpload(f"the multipart body is malformed: {exc}") from exc
    if not collector.finished:
        raise MalformedUpload("the multipart body ended before its closing boundary")
