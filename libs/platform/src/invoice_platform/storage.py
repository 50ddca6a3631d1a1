"""The object store that holds original invoice files: MinIO/S3, or a folder on disk.

Keys are made by ingest as ``users/<user id>/invoices/<invoice id>/original``, so a file can
only be reached through its owner's id; nothing here takes a key from a client.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar
from urllib.parse import quote, unquote

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
CHUNK_SIZE = 256 * 1024
T = TypeVar("T")


class ObjectNotFound(Exception):
    """No object is stored under that key."""


class ObjectStoreUnavailable(Exception):
    """The object store did not answer or refused the operation."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)


def invoice_object_key(user_id: uuid.UUID, invoice_id: uuid.UUID) -> str:
    return f"users/{user_id}/invoices/{invoice_id}/original"


def _checked(key: str) -> str:
    if not _KEY_PATTERN.fullmatch(key) or ".." in key.split("/"):
        raise ValueError(f"invalid object key {key!r}")
    return key


class ObjectStore(Protocol):
    async def put(
        self, key: str, source: BinaryIO, size: int, content_type: str, metadata: dict[str, str]
    ) -> None: ...

    async def get_bytes(self, key: str) -> bytes: ...

    async def stat(self, key: str) -> ObjectInfo: ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...

    async def presigned_url(self, key: str, expires: timedelta, file_name: str) -> str | None: ...

    async def ping(self) -> None: ...


class FilesystemObjectStore:
    """Objects as files under a root folder, with a JSON sidecar for type and metadata.

    Meant for the embedded single-machine default; writes go to a temporary file first and are
    renamed into place, so a crash never leaves half a file under a real key.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    async def put(
        self, key: str, source: BinaryIO, size: int, content_type: str, metadata: dict[str, str]
    ) -> None:
        await asyncio.to_thread(self._put, key, source, content_type, metadata)

    def _put(self, key: str, source: BinaryIO, content_type: str, meta: dict[str, str]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                while chunk := source.read(CHUNK_SIZE):
                    tmp.write(chunk)
                    size += len(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            sidecar = {"content_type": content_type, "size": size, "metadata": meta}
            Path(str(path) + ".meta.json").write_text(json.dumps(sidecar))
            os.replace(tmp.name, path)
        except OSError as exc:
            raise ObjectStoreUnavailable(f"cannot write {key}: {exc}") from exc

    async def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise ObjectStoreUnavailable(f"cannot read {key}: {exc}") from exc

    async def stat(self, key: str) -> ObjectInfo:
        return await asyncio.to_thread(self._stat, key)

    def _stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            sidecar = json.loads(Path(str(path) + ".meta.json").read_text())
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except (OSError, ValueError) as exc:
            raise ObjectStoreUnavailable(f"cannot read {key}: {exc}") from exc
        return ObjectInfo(key, size, sidecar["content_type"], sidecar.get("metadata", {}))

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()

    async def presigned_url(self, key: str, expires: timedelta, file_name: str) -> str | None:
        return None

    async def ping(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise ObjectStoreUnavailable(f"{self.root} is not writable")


class MinioObjectStore:
    """Objects in a bucket of MinIO or any S3-protocol server, through the MinIO client.

    The MinIO client is synchronous; each call runs in a worker thread.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
    ) -> None:
        from minio import Minio

        self.bucket = bucket
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    async def ensure_bucket(self) -> None:
        def ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

        await self._call(ensure)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise ObjectNotFound(str(exc.resource)) from exc
            raise ObjectStoreUnavailable(f"object store refused: {exc.code}") from exc
        except (HTTPError, OSError) as exc:
            raise ObjectStoreUnavailable(f"object store unreachable: {exc}") from exc

    async def put(
        self, key: str, source: BinaryIO, size: int, content_type: str, metadata: dict[str, str]
    ) -> None:
        # S3 metadata must be ASCII; the file name is percent-encoded on the way in and out.
        encoded = {k: quote(v, safe="") for k, v in metadata.items()}
        await self._call(
            self.client.put_object,
            self.bucket,
            _checked(key),
            source,
            size,
            content_type=content_type,
            metadata=encoded,
        )

    async def get_bytes(self, key: str) -> bytes:
        def read() -> bytes:
            response = self.client.get_object(self.bucket, _checked(key))
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        data: bytes = await self._call(read)
        return data

    async def stat(self, key: str) -> ObjectInfo:
        info = await self._call(self.client.stat_object, self.bucket, _checked(key))
        metadata = {
            k.lower().removeprefix("x-amz-meta-"): unquote(v)
            for k, v in (info.metadata or {}).items()
            if k.lower().startswith("x-amz-meta-")
        }
        return ObjectInfo(key, int(info.size or 0), info.content_type or "", metadata)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        response = await self._call(self.client.get_object, self.bucket, _checked(key))
        try:
            while chunk := await asyncio.to_thread(response.read, CHUNK_SIZE):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def presigned_url(self, key: str, expires: timedelta, file_name: str) -> str | None:
        disposition = f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"
        url: str = await self._call(
            self.client.presigned_get_object,
            self.bucket,
            _checked(key),
            expires=expires,
            response_headers={"response-content-disposition": disposition},
        )
        return url

    async def ping(self) -> None:
        exists = await self._call(self.client.bucket_exists, self.bucket)
        if not exists:
            raise ObjectStoreUnavailable(f"bucket {self.bucket!r} does not exist")


async def object_store_from_settings(
    kind: str,
    *,
    path: Path | None = None,
    s3_endpoint: str | None = None,
    s3_access_key: str | None = None,
    s3_secret_key: str | None = None,
    s3_bucket: str = "invoices",
    s3_secure: bool = False,
    s3_region: str | None = None,
) -> ObjectStore:
    """Build the configured store; for S3 the bucket is created when missing."""
    if kind == "filesystem":
        if path is None:
            raise ValueError("OBJECT_STORE_PATH is required when OBJECT_STORE=filesystem")
        return FilesystemObjectStore(path)
    if kind == "s3":
        if not (s3_endpoint and s3_access_key and s3_secret_key):
            raise ValueError(
                "S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY are required when OBJECT_STORE=s3"
            )
        store = MinioObjectStore(
            s3_endpoint,
            s3_access_key,
            s3_secret_key,
            s3_bucket,
            secure=s3_secure,
            region=s3_region,
        )
        await store.ensure_bucket()
        return store
    raise ValueError(f"OBJECT_STORE must be 'filesystem' or 's3', not {kind!r}")
